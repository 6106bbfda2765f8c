/* cross_sqlite.sh's writer: sqlite_writers DB ID N MODE inserts N rows
 * tagged ID into table t of DB, one transaction each, with MODE the
 * journal mode ("delete": the default VFS's rollback journal and record
 * locks; "wal": the write-ahead log and its shared-memory index).  Several
 * run at once on one database: a busy database (SQLITE_BUSY, which the
 * busy handler does not wait out when waiting could deadlock) is retried.
 * sqlite_writers DB check: each writer's rows and the integrity check.
 * Linked with the sqlite3.o of Debian's source, built with lind-cc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite3.h"

#define MAX_TRIES 1000

static sqlite3 *db;
static long retries;

/* sql, run again while the database is busy; 0 or sqlite's error code */
static int exec_retrying(const char *sql)
{
	int r, tries = 0;
	while ((r = sqlite3_exec(db, sql, NULL, NULL, NULL)) == SQLITE_BUSY &&
	       ++tries < MAX_TRIES) {
		retries++;
		usleep(1000);
	}
	if (r != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	return r;
}

static int insert(long id, long i)
{
	char sql[256];
	snprintf(sql, sizeof sql,
		 "insert into t(writer, n, payload) values (%ld, %ld, "
		 "printf('%%0200d', %ld))", id, i, i * 7919);
	return exec_retrying(sql);
}

static int print_row(void *arg, int n, char **values, char **names)
{
	(void)arg;
	(void)names;
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
	printf("\n");
	return 0;
}

static int check(void)
{
	return sqlite3_exec(db, "select writer, count(*), count(distinct n) "
			    "from t group by writer; pragma integrity_check",
			    print_row, NULL, NULL) != SQLITE_OK;
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 3 && !strcmp(argv[2], "check"))) {
		fprintf(stderr, "usage: sqlite_writers DB ID N delete|wal\n"
				"       sqlite_writers DB check\n");
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
		fprintf(stderr, "open %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_busy_timeout(db, 10000);
	if (argc == 3)
		return check();
	long id = atol(argv[2]), n = atol(argv[3]);
	char mode[64];
	snprintf(mode, sizeof mode, "pragma journal_mode=%s", argv[4]);
	if (exec_retrying(mode) || exec_retrying(
		    "create table if not exists t(id integer primary key, "
		    "writer int, n int, payload text)"))
		return 1;
	for (long i = 0; i < n; i++)
		if (insert(id, i))
			return 1;
	sqlite3_close(db);
	printf("writer %ld: %ld rows\n", id, n);
	fprintf(stderr, "writer %ld: %ld retries\n", id, retries);
	return 0;
}
