from services.common.settings_doc import DOC, render


def test_the_configuration_reference_matches_the_settings() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "run `python -m services.common.settings_doc` and commit docs/configuration.md"
    )
