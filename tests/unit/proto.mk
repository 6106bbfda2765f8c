# unit tests: proto (cmocka)
