/* SQLite for scripts/bench: 100,000 rows inserted in 100 transactions
 * into a new database file DB (default VFS, rollback journal, sqlite's
 * default synchronous=FULL: each commit fsyncs), one prepared statement,
 * an index on a column of random order.  Prints the ms of the inserts;
 * scripts/bench runs it natively and in a cage by turns. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define ROWS 100000
#define TXNS 100

static sqlite3 *db;

static void die(const char *what)
{
	fprintf(stderr, "bench sqlite: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void insert_all(void)
{
	sqlite3_stmt *st;
	char text[64];
	if (sqlite3_prepare_v2(db, "insert into t(k, v) values (?, ?)", -1,
			       &st, NULL) != SQLITE_OK)
		die("prepare");
	for (int t = 0, i = 0; t < TXNS; t++) {
		exec("begin");
		for (int end = i + ROWS / TXNS; i < end; i++) {
			snprintf(text, sizeof text, "row %d of the bench", i);
			sqlite3_bind_int(st, 1, i * 7919 % ROWS);
			sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("insert");
			sqlite3_reset(st);
		}
		exec("commit");
	}
	sqlite3_finalize(st);
}

static double run(const char *path)
{
	char journal[4200];
	snprintf(journal, sizeof journal, "%s-journal", path);
	unlink(path);
	unlink(journal);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path);
	exec("create table t(id integer primary key, k int, v text)");
	exec("create index t_k on t(k)");
	double t0 = now_ms();
	insert_all();
	double ms = now_ms() - t0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "select count(*) from t", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != ROWS)
		die("count");
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	return ms;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sqlite DB\n");
		return 2;
	}
	printf("%.1f\n", run(argv[1]));
	return 0;
}
