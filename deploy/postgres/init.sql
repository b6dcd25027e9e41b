-- One database per service: no service reads another's tables.
CREATE DATABASE hotline_intake;
CREATE DATABASE hotline_dispatch;
CREATE DATABASE hotline_feedback;
CREATE DATABASE hotline_search;
