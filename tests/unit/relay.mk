# unit tests: relay (cmocka)
