"""Reading citizens' mail as pure rules: headers in any encoding, Chinese charsets, HTML-only
mail, attachments, hostile input, the masked address and the answer's text."""

from __future__ import annotations

import base64
from email.message import EmailMessage

from services.intake.adapters.smtp_outbox import compose
from services.intake.domain.mail import (
    MAX_PHOTOS,
    html_to_text,
    mask_email,
    read_letter,
    reply_subject,
    reply_text,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _mail(**headers: str) -> EmailMessage:
    message = EmailMessage()
    for name, value in {"From": "张三 <Zhang.San@Example.com>", **headers}.items():
        message[name.replace("_", "-")] = value
    return message


def test_a_plain_mail_gives_sender_subject_text_and_its_message_id() -> None:
    message = _mail(Subject="楼道灯坏了", Message_ID="<abc@example.com>")
    message.set_content("3号楼2单元楼道灯一直不亮。\n请尽快维修。")
    letter = read_letter(message.as_bytes())
    assert letter.sender == "zhang.san@example.com"
    assert letter.message_id == "<abc@example.com>"
    assert letter.description == "楼道灯坏了\n3号楼2单元楼道灯一直不亮。\n请尽快维修。"
    assert letter.notes == ()


def test_encoded_word_subjects_and_names_are_decoded_whatever_the_charset() -> None:
    subject = "=?gb2312?B?" + base64.b64encode("噪音扰民".encode("gb2312")).decode() + "?="
    sender = "=?utf-8?Q?=E6=9D=8E=E5=9B=9B?= <li@example.com>"
    raw = f"From: {sender}\r\nSubject: {subject}\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    letter = read_letter(raw.encode())
    assert letter.subject == "噪音扰民"
    assert letter.sender == "li@example.com"


def test_gbk_bodies_labelled_gb2312_are_read_whole() -> None:
    # 镕 is in GBK but not in GB2312: mail labelled gb2312 routinely carries it.
    body = "朱镕基路的井盖丢了".encode("gbk")
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    assert read_letter(raw).body == "朱镕基路的井盖丢了"


def test_html_only_mail_becomes_text_without_scripts_styles_or_tags() -> None:
    message = _mail(Subject="s")
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<p>路灯&amp;井盖</p><script>alert('x')</script><div>第二行<br>第三行</div></body></html>"
    )
    message.set_content(html, subtype="html")
    letter = read_letter(message.as_bytes())
    assert letter.body == "路灯&井盖\n\n第二行\n第三行"
    assert "alert" not in letter.body and "<" not in letter.body


def test_plain_text_is_preferred_to_its_html_twin() -> None:
    message = _mail(Subject="s")
    message.set_content("纯文本")
    message.add_alternative("<p>网页版</p>", subtype="html")
    assert read_letter(message.as_bytes()).body == "纯文本"


def test_images_are_kept_other_attachments_skipped_and_noted() -> None:
    message = _mail(Subject="s")
    message.set_content("见附件")
    for n in range(MAX_PHOTOS + 1):
        message.add_attachment(PNG, maintype="image", subtype="png", filename=f"p{n}.png")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    letter = read_letter(message.as_bytes())
    assert [i.filename for i in letter.images] == ["p0.png", "p1.png", "p2.png"]
    assert letter.images[0].data == PNG
    assert letter.notes == (
        "attachment skipped: a.pdf (application/pdf)",
        "1 image(s) beyond 3 skipped",
    )


def test_hostile_mail_is_read_as_far_as_it_goes_and_never_raises() -> None:
    for raw in [
        b"",
        b"\xff\xfe\x00garbage",
        b"From: <>\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b"From: nobody\r\nSubject: =?bogus-charset?B?!!!?=\r\n\r\nbody",
        b"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n@@not base64@@",
    ]:
        letter = read_letter(raw)
        assert letter.message_id.startswith("sha256:")
        assert letter.sender is None
        assert "no usable sender address: not answered" in letter.notes
        assert letter.description


def test_control_characters_never_reach_the_description() -> None:
    raw = b"From: a@example.com\r\nSubject: =?utf-8?Q?a=00b?=\r\n\r\nline\x00one\x1b[31m\r\n"
    assert read_letter(raw).description == "ab\nlineone[31m"
    hostile = b"From: a\x00b@example.com\r\nMessage-ID: <a\x00@x>\r\n\r\n"
    letter = read_letter(hostile)
    assert letter.sender == "ab@example.com" and letter.message_id.startswith("sha256:")


def test_a_message_without_message_id_is_known_by_its_digest() -> None:
    raw = b"From: a@example.com\r\nSubject: s\r\n\r\nbody"
    assert read_letter(raw).message_id == read_letter(raw).message_id
    assert read_letter(raw).message_id != read_letter(raw + b"!").message_id


def test_a_message_too_large_is_read_from_its_headers() -> None:
    raw = b"From: a@example.com\r\nSubject: big\r\nMessage-ID: <m@x>\r\n\r\n"
    letter = read_letter(raw, headers_only=True)
    assert (letter.sender, letter.subject, letter.body) == ("a@example.com", "big", "")
    assert letter.notes == ("message too large: only its headers were read",)


def test_a_header_cannot_smuggle_lines_into_the_subject() -> None:
    raw = b"From: a@example.com\r\nSubject: =?utf-8?Q?a=0D=0AB?=\r\n\r\n"
    assert read_letter(raw).subject == "a B"


def test_the_address_is_masked() -> None:
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert "zhang" not in mask_email("zhang@example.com")


def test_html_to_text_keeps_entities_as_text() -> None:
    assert html_to_text("&lt;script&gt;x&lt;/script&gt;") == "<script>x</script>"


def test_the_answer_names_the_ticket_and_link_in_chinese_then_english() -> None:
    text = reply_text("26120300001", "https://12345.example/track/t")
    assert text.index("工单号：26120300001") < text.index("ticket 26120300001")
    assert text.count("https://12345.example/track/t") == 2
    assert "26120300001" in reply_subject("26120300001")


def test_the_composed_answer_threads_under_the_citizens_mail() -> None:
    message = compose("r1", "12345@gov.example", "a@example.com", "主题", "正文", "<m@x>")
    assert message["Message-ID"] == "<reply.r1@gov.example>"
    assert (message["In-Reply-To"], message["References"]) == ("<m@x>", "<m@x>")
    assert message.get_content().strip() == "正文"
    assert message["Auto-Submitted"] == "auto-replied"
    assert read_letter(message.as_bytes()).automatic, "our own answer, come back, is no request"


def test_auto_replies_and_bounces_are_known_for_what_they_are() -> None:
    marks = [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"From": "MAILER-DAEMON@mx.example.com"},
        {"Return_Path": "<>"},
    ]
    for headers in marks:
        assert read_letter(_mail(Subject="s", **headers).as_bytes()).automatic, headers
    assert not read_letter(_mail(Subject="s", Auto_Submitted="no").as_bytes()).automatic


def test_the_senders_own_address_is_masked_where_the_text_quotes_it() -> None:
    message = _mail(Subject="s")
    message.set_content("联系我：Zhang.San@example.com 或 zhang.san@example.com")
    letter = read_letter(message.as_bytes())
    assert "zhang.san@example.com" not in letter.description.lower()
    assert letter.description.count("z***@example.com") == 2
