# unit tests: server (cmocka)
