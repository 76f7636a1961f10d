/*
 * sqlite.c: the audit trail in an SQLite file (libsqlite3): WAL journal, synchronous=FULL (a commit is on
 * disk before mn_audit_append returns), one BEGIN IMMEDIATE transaction per batch of appends so that several
 * processes sharing the file extend one chain (the last row is read and the next inserted under the
 * database's write lock).
 *
 * Checkpoints (copying the WAL's pages into the database file, which lets the WAL start over) run in a thread of
 * their own on a second connection, so that a commit does not wait for them: SQLite's default runs one inside
 * the commit that takes the WAL past 1,000 pages (4 MB written and flushed: every append queued meanwhile waits).
 * A PASSIVE checkpoint never blocks the appender. SQLite's flush the WAL and the database file (two disk flushes,
 * whatever they copy); the checkpointer's flush neither (synchronous=OFF): every commit has flushed the WAL already,
 * and the database file is flushed once, by the appender, just before the WAL starts over (g_write: the header
 * written at offset 0), the one moment a copied page could otherwise be lost with its frame (tests/cli/
 * audit_flush.sh reads the order from the system calls); meanwhile the checkpointer only starts the copies'
 * writeback. The appending connection's WAL hook wakes it once per CKPT_STEP of new WAL, not after every commit,
 * and a page written again meanwhile (the table's last leaf, the indexes') is copied once.
 * The WAL starts over only when the appender begins a transaction with all of it copied, which a steady stream of
 * appends keeps from happening while the checkpointer copies on its own; so from CKPT_RESTART on, once the
 * checkpointer has copied all but at most CKPT_CATCHUP of it, the appender checkpoints the rest itself after its
 * commit (a short copy: the next append starts the WAL over), and from CKPT_LIMIT on it waits for the
 * checkpointer's run and checkpoints whatever is left. A commit is durable when it returns either way (the WAL is
 * flushed by the commit); the database file is flushed before the WAL is reused.
 */
#define _GNU_SOURCE   /* sync_file_range */
#include "audit_int.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000
/* WAL sizes in bytes (the hook counts pages: divided by the page size) */
#define CKPT_STEP (256 << 10)        /* wake the checkpointer per 256 KiB of new WAL */
#define CKPT_RESTART (12 << 20)      /* from here the appender copies the rest and the WAL starts over */
#define CKPT_CATCHUP (256 << 10)     /* ... once at most this much is left to copy */
#define CKPT_LIMIT (15 << 20)        /* from here the appender waits for the checkpointer and copies the rest */

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS " MN_AUDIT_TABLE " ("
	"seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, received TEXT NOT NULL, endpoint TEXT NOT NULL, "
	"policy_id TEXT NOT NULL, policy_version TEXT NOT NULL, input_sha256 TEXT NOT NULL, outcome TEXT NOT NULL, "
	"lookup_key TEXT NOT NULL, determination TEXT NOT NULL, prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS " MN_AUDIT_TABLE "_lookup ON " MN_AUDIT_TABLE " (lookup_key, seq);";

typedef struct sq {
	sqlite3 *db;
	sqlite3_stmt *last, *insert, *scan, *by_id, *by_key;
	/* the checkpointer */
	sqlite3 *ckdb;
	pthread_t ck;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool ck_started, ck_wanted, ck_running, ck_stop;
	int ck_fd;   /* the database file (read-only): its writeback started after each checkpoint, or -1 */
	/* thresholds in pages; under mu: the WAL's size at the last commit, the pages the checkpointer has copied
	 * (of this WAL: 0 when it starts over), the size at which to wake it next */
	int step, restart, catchup, limit;
	int wal_pages, ck_done, ck_next;
} sq;

/*
 * The appending connection's WAL writes, gathered. SQLite writes each WAL frame as two writes (its 24-byte header,
 * then the page), one system call each: about 50 per commit of three 20 KB rows, each about 2.5 us on this kind of
 * virtual machine. The "mednec-wal" VFS wraps the default one and, for WAL files only, keeps consecutive writes in
 * a buffer and writes them in calls of up to 124 KiB before anything that needs them in the file: a sync (every
 * commit is synced: synchronous=FULL), a read, a size, a truncation, a file control, closing, a write elsewhere,
 * or 1 MiB pending. Other connections and processes read a frame only once a commit has made it part of the WAL,
 * after its sync, so they never miss a buffered byte; a commit is acknowledged after the same sync as before, and
 * a write error surfaces at that sync (the commit fails, as it would have). Every other file passes through.
 */
#define WAL_GATHER_MAX (1 << 20)

typedef struct gfile {
	sqlite3_file base;       /* pMethods = &gather_io */
	sqlite3_file *real;      /* the default VFS's file, in the same allocation after this struct */
	bool wal;                /* gather writes (a WAL file) */
	char *buf;
	size_t len, cap;
	sqlite3_int64 off;       /* where buf[0] goes */
	int db_fd;               /* a WAL file's database file (read-only), flushed before the WAL starts over */
} gfile;

static sqlite3_vfs gather_vfs;
static pthread_once_t gather_once = PTHREAD_ONCE_INIT;
static bool gather_ok;

/* The pending bytes written, in pieces of at most WAL_GATHER_PIECE: the unix VFS takes writes of less than
 * 128 KiB only (SQLite's own are a page at most; it keeps the low 17 bits of a write's length, and a longer
 * write fails as "database or disk is full"). */
#define WAL_GATHER_PIECE (124 << 10)

static int g_flush(gfile *g)
{
	int rc = SQLITE_OK;
	for (size_t done = 0; done < g->len && rc == SQLITE_OK;) {
		size_t n = g->len - done < WAL_GATHER_PIECE ? g->len - done : WAL_GATHER_PIECE;
		rc = g->real->pMethods->xWrite(g->real, g->buf + done, (int)n, g->off + (sqlite3_int64)done);
		done += n;
	}
	g->len = 0;
	return rc;
}

static int g_close(sqlite3_file *f)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	int rc2 = g->real->pMethods->xClose(g->real);
	free(g->buf);
	g->buf = NULL;
	if (g->db_fd >= 0)
		close(g->db_fd);
	g->db_fd = -1;
	return rc != SQLITE_OK ? rc : rc2;
}

static int g_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	return rc != SQLITE_OK ? rc : g->real->pMethods->xRead(g->real, p, n, off);
}

static int g_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	gfile *g = (gfile *)f;
	if (!g->wal || n <= 0)
		return g->real->pMethods->xWrite(g->real, p, n, off);
	/* The WAL's header: the WAL starts over (or begins), and its frames, copied into the database file by
	 * checkpoints that did not flush it (the checkpointer's, synchronous=OFF), will be written over: that file is
	 * flushed first, so that every copied page is on disk before the frame it came from is gone. */
	if (off == 0 && g->db_fd >= 0) {
		int rc = g_flush(g);
		if (rc != SQLITE_OK)
			return rc;
		if (fdatasync(g->db_fd) != 0)
			return SQLITE_IOERR_FSYNC;
	}
	if (g->len && (off != g->off + (sqlite3_int64)g->len || g->len + (size_t)n > WAL_GATHER_MAX)) {
		int rc = g_flush(g);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (!g->len)
		g->off = off;
	if (g->len + (size_t)n > g->cap) {
		size_t cap = g->cap ? g->cap : 64 << 10;
		while (cap < g->len + (size_t)n)
			cap *= 2;
		char *nb = realloc(g->buf, cap);
		if (!nb) {   /* written at once instead */
			int rc = g_flush(g);
			return rc != SQLITE_OK ? rc : g->real->pMethods->xWrite(g->real, p, n, off);
		}
		g->buf = nb;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, p, (size_t)n);
	g->len += (size_t)n;
	return SQLITE_OK;
}

static int g_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	return rc != SQLITE_OK ? rc : g->real->pMethods->xTruncate(g->real, size);
}

static int g_sync(sqlite3_file *f, int flags)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	return rc != SQLITE_OK ? rc : g->real->pMethods->xSync(g->real, flags);
}

static int g_size(sqlite3_file *f, sqlite3_int64 *size)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	return rc != SQLITE_OK ? rc : g->real->pMethods->xFileSize(g->real, size);
}

static int g_lock(sqlite3_file *f, int lock)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xLock(g->real, lock);
}

static int g_unlock(sqlite3_file *f, int lock)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xUnlock(g->real, lock);
}

static int g_reserved(sqlite3_file *f, int *out)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xCheckReservedLock(g->real, out);
}

static int g_fcntl(sqlite3_file *f, int op, void *arg)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	return rc != SQLITE_OK ? rc : g->real->pMethods->xFileControl(g->real, op, arg);
}

static int g_sector(sqlite3_file *f)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xSectorSize(g->real);
}

static int g_devchar(sqlite3_file *f)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xDeviceCharacteristics(g->real);
}

static int g_shmmap(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xShmMap(g->real, region, size, extend, out);
}

static int g_shmlock(sqlite3_file *f, int offset, int n, int flags)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xShmLock(g->real, offset, n, flags);
}

static void g_shmbarrier(sqlite3_file *f)
{
	gfile *g = (gfile *)f;
	g->real->pMethods->xShmBarrier(g->real);
}

static int g_shmunmap(sqlite3_file *f, int del)
{
	gfile *g = (gfile *)f;
	return g->real->pMethods->xShmUnmap(g->real, del);
}

static int g_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	gfile *g = (gfile *)f;
	int rc = g_flush(g);
	if (rc != SQLITE_OK)
		return rc;
	if (g->real->pMethods->iVersion < 3 || !g->real->pMethods->xFetch) {
		*out = NULL;
		return SQLITE_OK;
	}
	return g->real->pMethods->xFetch(g->real, off, n, out);
}

static int g_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	gfile *g = (gfile *)f;
	if (g->real->pMethods->iVersion < 3 || !g->real->pMethods->xUnfetch)
		return SQLITE_OK;
	return g->real->pMethods->xUnfetch(g->real, off, p);
}

static const sqlite3_io_methods gather_io = {
	3, g_close, g_read, g_write, g_truncate, g_sync, g_size, g_lock, g_unlock, g_reserved, g_fcntl, g_sector,
	g_devchar, g_shmmap, g_shmlock, g_shmbarrier, g_shmunmap, g_fetch, g_unfetch,
};

static size_t gather_offset(void)
{
	return (sizeof(gfile) + 15) & ~(size_t)15;
}

static int g_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	gfile *g = (gfile *)f;
	memset(g, 0, sizeof *g);
	g->db_fd = -1;
	g->real = (sqlite3_file *)((char *)f + gather_offset());
	int rc = dflt->xOpen(dflt, name, g->real, flags, out_flags);
	if (rc != SQLITE_OK || !g->real->pMethods) {
		if (g->real->pMethods)
			g->real->pMethods->xClose(g->real);
		g->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	/* only a real file with every method this wrapper forwards (the default unix VFS's are version 3) */
	g->wal = (flags & SQLITE_OPEN_WAL) != 0;
	size_t len = name ? strlen(name) : 0;
	if (g->wal && len > 4 && strcmp(name + len - 4, "-wal") == 0) {   /* SQLite names it DATABASE-wal */
		char *db = strndup(name, len - 4);
		g->db_fd = db ? open(db, O_RDONLY | O_CLOEXEC) : -1;
		free(db);
	}
	if (g->wal && g->db_fd < 0) {   /* without it the database file could not be flushed before the WAL restarts */
		g->real->pMethods->xClose(g->real);
		g->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	g->base.pMethods = &gather_io;
	return SQLITE_OK;
}

static int g_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	return dflt->xDelete(dflt, name, sync_dir);
}

static int g_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	return dflt->xAccess(dflt, name, flags, out);
}

static int g_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	return dflt->xFullPathname(dflt, name, n, out);
}

static void gather_register(void)
{
	sqlite3_vfs *dflt = sqlite3_vfs_find(NULL);
	if (!dflt || dflt->iVersion < 2)
		return;
	gather_vfs = *dflt;   /* its time, randomness, sleep and library functions as they are */
	gather_vfs.szOsFile = (int)gather_offset() + dflt->szOsFile;
	gather_vfs.zName = "mednec-wal";
	gather_vfs.pAppData = dflt;
	gather_vfs.pNext = NULL;
	gather_vfs.xOpen = g_open;
	gather_vfs.xDelete = g_delete;
	gather_vfs.xAccess = g_access;
	gather_vfs.xFullPathname = g_fullpath;
	gather_ok = sqlite3_vfs_register(&gather_vfs, 0) == SQLITE_OK;
}

/* The VFS name for the appending connection: "mednec-wal", or NULL (the default) when it cannot be had. */
static const char *gather_vfs_name(void)
{
	pthread_once(&gather_once, gather_register);
	return gather_ok ? gather_vfs.zName : NULL;
}

static mn_status fail(sq *s, mn_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	mn_status st = (code & 0xff) == SQLITE_NOMEM ? MN_ENOMEM : MN_EIO;
	if ((code & 0xff) == SQLITE_CONSTRAINT)
		st = MN_EUSAGE;
	return mn_error_set(err, st, "audit (sqlite): %s: %s", what, sqlite3_errmsg(s->db));
}

static void *checkpointer(void *p)
{
	sq *s = p;
	bool run = false;
	int copied = -1;
	do {
		if (run) {   /* PASSIVE: copies what no reader needs, never waits for the appender; busy: next time */
			if (sqlite3_wal_checkpoint_v2(s->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied) != SQLITE_OK)
				copied = -1;
#ifdef SYNC_FILE_RANGE_WRITE
			/* the copied pages on their way to the disk now, so that the flush before the WAL starts over
			 * finds little left to write (a start, not a wait: no flush of the disk's cache) */
			if (s->ck_fd >= 0)
				sync_file_range(s->ck_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
		}
		pthread_mutex_lock(&s->mu);
		s->ck_running = false;
		if (run && copied >= 0 && copied <= s->wal_pages)
			s->ck_done = copied;
		pthread_cond_broadcast(&s->cv);
		while (!s->ck_wanted && !s->ck_stop)
			pthread_cond_wait(&s->cv, &s->mu);
		run = !s->ck_stop;
		s->ck_running = run;
		s->ck_wanted = false;
		pthread_mutex_unlock(&s->mu);
	} while (run);
	return NULL;
}

/* After each commit on the appending connection: pages is the WAL's size in pages. */
static int on_wal(void *p, sqlite3 *db, const char *name, int pages)
{
	sq *s = p;
	bool inline_ckpt = false;
	if (!s->ck_started) {
		inline_ckpt = pages >= s->step * 4;   /* SQLite's default, about 1,000 pages of 4 KiB */
	} else {
		pthread_mutex_lock(&s->mu);
		if (pages < s->wal_pages) {   /* the WAL started over */
			s->ck_done = 0;
			s->ck_next = s->step;
		}
		s->wal_pages = pages;
		bool busy = s->ck_running || s->ck_wanted;
		if (pages >= s->limit) {
			/* the checkpointer's run, if one is under way, first (the WAL is checkpointed by one at a time) */
			while (s->ck_running)
				pthread_cond_wait(&s->cv, &s->mu);
			s->ck_wanted = false;   /* this one instead */
			inline_ckpt = true;
		} else if (pages >= s->restart && !busy && pages - s->ck_done <= s->catchup) {
			inline_ckpt = true;   /* the rest, so that the next append starts the WAL over */
		} else if (!busy && (pages >= s->ck_next || pages >= s->restart)) {
			s->ck_wanted = true;
			s->ck_next = pages + s->step;
			pthread_cond_broadcast(&s->cv);
		}
		pthread_mutex_unlock(&s->mu);
	}
	if (inline_ckpt)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* The checkpointer's connection and thread; without them (an error) the appender checkpoints itself. */
static void start_checkpointer(sq *s, const char *path)
{
	s->ck_fd = -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		return;
	}
	/* The checkpointer's copies need no flush of their own when the appender's WAL is the gathering VFS's with
	 * the database file at hand: it flushes that file before the WAL starts over (g_write), the one moment a
	 * copied frame may be lost; checkpoints then cost no disk flush (two each before), only writes. Otherwise
	 * they flush (synchronous=FULL) as SQLite's own do. */
	sqlite3_file *wal = NULL;
	bool deferred = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK && wal &&
	                wal->pMethods == &gather_io && ((gfile *)wal)->db_fd >= 0;
	s->ck_fd = deferred ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (sqlite3_open_v2(path, &s->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_exec(s->ckdb, deferred ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL", NULL, NULL,
	                 NULL) == SQLITE_OK &&
	    pthread_create(&s->ck, NULL, checkpointer, s) == 0) {
		s->ck_started = true;
		return;
	}
	if (s->ck_fd >= 0)
		close(s->ck_fd);
	s->ck_fd = -1;
	sqlite3_close(s->ckdb);
	s->ckdb = NULL;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

static void sq_close(void *h)
{
	sq *s = h;
	if (!s)
		return;
	if (s->ck_started) {
		pthread_mutex_lock(&s->mu);
		s->ck_stop = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->ck, NULL);
		/* its last checkpoint, should it close last (another process's appender gone), flushes as SQLite's do */
		sqlite3_exec(s->ckdb, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
		sqlite3_close(s->ckdb);
		if (s->ck_fd >= 0)
			close(s->ck_fd);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	sqlite3_finalize(s->last);
	sqlite3_finalize(s->insert);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->by_id);
	sqlite3_finalize(s->by_key);
	sqlite3_close(s->db);
	free(s);
}

static int prep(sq *s, const char *sql, sqlite3_stmt **out)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

static mn_status sq_open(const char *path, void **out, mn_error *err)
{
	sq *s = calloc(1, sizeof *s);
	if (!s)
		return mn_error_set(err, MN_ENOMEM, "audit: out of memory");
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	                         gather_vfs_name());
	if (rc != SQLITE_OK) {
		mn_status st = s->db ? fail(s, err, "cannot open the store")
		                     : mn_error_set(err, MN_ENOMEM, "audit (sqlite): out of memory");
		if (st == MN_EIO)
			mn_error_locate(err, path, 0, 0);
		sq_close(s);
		return st;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_stmt *wal = NULL;
	bool is_wal = false;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &wal, NULL) == SQLITE_OK &&
	    sqlite3_step(wal) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(wal, 0);
		is_wal = mode && strcmp((const char *)mode, "wal") == 0;
	}
	sqlite3_finalize(wal);
	mn_status st = MN_OK;
	if (!is_wal)
		st = sqlite3_errcode(s->db) != SQLITE_OK ? fail(s, err, "cannot select the WAL journal")
		                                         : mn_error_set(err, MN_EIO, "audit (sqlite): the store refused "
		                                                        "the WAL journal mode");
	else if (sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
		st = fail(s, err, "cannot set synchronous=FULL");
	else if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		st = fail(s, err, "cannot lock the store to create its table");
	else if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	         sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		st = fail(s, err, "cannot create the audit table");
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	} else if (prep(s, "SELECT seq, row_hash FROM " MN_AUDIT_TABLE " ORDER BY seq DESC LIMIT 1", &s->last) ||
	           prep(s, "INSERT INTO " MN_AUDIT_TABLE " (" MN_AUDIT_COLUMNS ") VALUES "
	                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", &s->insert) ||
	           prep(s, "SELECT " MN_AUDIT_COLUMNS " FROM " MN_AUDIT_TABLE " ORDER BY seq", &s->scan) ||
	           prep(s, "SELECT " MN_AUDIT_COLUMNS " FROM " MN_AUDIT_TABLE " WHERE id = ?1", &s->by_id) ||
	           prep(s, "SELECT " MN_AUDIT_COLUMNS " FROM " MN_AUDIT_TABLE " WHERE lookup_key = ?1 AND "
	                "lookup_key <> '' ORDER BY seq DESC LIMIT 1", &s->by_key)) {
		st = fail(s, err, "cannot prepare the audit statements (is this a mednec audit store?)");
	}
	if (st != MN_OK) {
		if (st == MN_EIO && !err->source[0])
			mn_error_locate(err, path, 0, 0);
		sq_close(s);
		return st;
	}
	int page = 0;
	sqlite3_stmt *ps = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK && sqlite3_step(ps) == SQLITE_ROW)
		page = sqlite3_column_int(ps, 0);
	sqlite3_finalize(ps);
	if (page < 512)
		page = 4096;
	s->step = CKPT_STEP / page;
	s->restart = CKPT_RESTART / page;
	s->catchup = CKPT_CATCHUP / page;
	s->limit = CKPT_LIMIT / page;
	s->ck_next = s->step;
	start_checkpointer(s, path);
	sqlite3_wal_hook(s->db, on_wal, s);   /* in place of SQLite's autocheckpoint */
	*out = s;
	return MN_OK;
}

static mn_status sq_append(void *h, const mn_audit_record *const *recs, size_t n, mn_error *err)
{
	sq *s = h;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, err, "cannot lock the store");
	mn_status st = MN_OK;
	long long seq = 1;
	char prev[65] = "", hash[65];
	int rc = sqlite3_step(s->last);
	if (rc == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(s->last, 1);
		seq = sqlite3_column_int64(s->last, 0) + 1;
		snprintf(prev, sizeof prev, "%s", p ? (const char *)p : "");
	} else if (rc != SQLITE_DONE) {
		st = fail(s, err, "cannot read the last row");
	}
	sqlite3_reset(s->last);
	for (size_t k = 0; k < n && st == MN_OK; k++, seq++) {
		mn_audit_fields f;
		mn_audit_fields_of(recs[k], &f);
		if ((st = mn_audit_row_hash(seq, &f, prev, hash, err)) != MN_OK)
			break;
		sqlite3_bind_int64(s->insert, 1, seq);
		for (int i = 0; i < 9; i++)
			sqlite3_bind_text(s->insert, i + 2, f.f[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(s->insert, 11, prev, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->insert, 12, hash, -1, SQLITE_STATIC);
		if (sqlite3_step(s->insert) != SQLITE_DONE)
			st = fail(s, err, (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT
			                  ? "cannot store the row (is its id already stored?)" : "cannot store the row");
		sqlite3_reset(s->insert);
		sqlite3_clear_bindings(s->insert);
		memcpy(prev, hash, sizeof hash);
	}
	if (st == MN_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		st = fail(s, err, "cannot commit the row");
	if (st != MN_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static const char *col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? (const char *)t : "";
}

static mn_status run_rows(sq *s, sqlite3_stmt *q, mn_audit_row_fn fn, void *ctx, int *nrows, mn_error *err)
{
	mn_status st = MN_OK;
	int rc;
	*nrows = 0;
	while (st == MN_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		mn_audit_row r = {sqlite3_column_int64(q, 0), col(q, 1), col(q, 2), col(q, 3), col(q, 4), col(q, 5),
		                  col(q, 6), col(q, 7), col(q, 8), col(q, 9), col(q, 10), col(q, 11)};
		(*nrows)++;
		st = fn(ctx, &r, err);
	}
	if (st == MN_OK && rc != SQLITE_DONE)
		st = fail(s, err, "cannot read the rows");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return st;
}

static mn_status sq_scan(void *h, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	int n;
	return run_rows(h, ((sq *)h)->scan, fn, ctx, &n, err);
}

static mn_status sq_find(void *h, const char *id_or_key, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	sq *s = h;
	int n = 0;
	sqlite3_stmt *qs[2] = {s->by_id, s->by_key};
	for (int i = 0; i < 2 && n == 0; i++) {
		sqlite3_bind_text(qs[i], 1, id_or_key, -1, SQLITE_STATIC);
		mn_status st = run_rows(s, qs[i], fn, ctx, &n, err);
		if (st != MN_OK)
			return st;
	}
	return n ? MN_OK : mn_error_set(err, MN_ENOTFOUND, "audit: no row has the id or lookup key '%.200s'", id_or_key);
}

const mn_audit_backend mn_audit_sqlite_backend = {"sqlite", sq_open, sq_close, sq_append, sq_scan, sq_find};
