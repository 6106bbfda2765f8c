# unit tests: client (cmocka)
