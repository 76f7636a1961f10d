/*
 * run.c: deciding a population on N threads, results in patient order
 * (mn_bulk_run); docs/BULK.md, "Threads".
 *
 * Patients go in batches of 32 per thread: the workers take the next
 * patient of the batch (a counter under a mutex), load it, call work and
 * free the case; when the batch is done the calling thread calls emit for
 * each patient in order. At most one batch of slots (and one case per
 * worker) is in memory, so the output order never depends on N.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bulk_int.h"

enum { BATCH_PER_THREAD = 32 };

typedef struct run_slot {
	mn_bulk_record rec;
	mn_arena *arena;
	mn_status st;
	mn_error err;
} run_slot;

typedef struct run_state {
	const mn_bulk *b;
	const mn_bulk_run_options *o;
	run_slot *slots;
	unsigned char *user;
	size_t lo, hi, next;
	bool stop;
	pthread_mutex_t mu;
} run_state;

static void run_one(run_state *s, size_t i)
{
	run_slot *sl = &s->slots[i - s->lo];
	void *user = s->user + (i - s->lo) * s->o->slot_size;
	mn_error_clear(&sl->err);
	sl->arena = mn_arena_new();
	if (!sl->arena) {
		sl->st = mn_error_set(&sl->err, MN_ENOMEM, "out of memory");
		return;
	}
	sl->st = mn_bulk_load(s->b, i, s->o->case_flags, sl->arena, &sl->rec, &sl->err);
	if (sl->st == MN_OK)
		sl->st = s->o->work(s->o->ctx, &sl->rec, user);
	if (sl->st != MN_OK && !sl->err.code)
		mn_error_set(&sl->err, sl->st, "deciding Patient/%s failed", s->b->patients[i].id);
	mn_case_free(sl->rec.kase);
	sl->rec.kase = NULL;
}

static void *worker(void *p)
{
	run_state *s = p;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		size_t i = s->stop ? s->hi : s->next;
		if (i < s->hi)
			s->next++;
		pthread_mutex_unlock(&s->mu);
		if (i >= s->hi)
			return NULL;
		run_one(s, i);
		if (s->slots[i - s->lo].st != MN_OK) {
			pthread_mutex_lock(&s->mu);
			s->stop = true;
			pthread_mutex_unlock(&s->mu);
		}
	}
}

mn_status mn_bulk_run(const mn_bulk *b, const mn_bulk_run_options *o, mn_error *err)
{
	unsigned threads = o->threads ? o->threads : 1;
	size_t batch = (size_t)threads * BATCH_PER_THREAD;
	run_state s = {b, o, NULL, NULL, 0, 0, 0, false, PTHREAD_MUTEX_INITIALIZER};
	s.slots = calloc(batch, sizeof *s.slots);
	s.user = calloc(batch, o->slot_size ? o->slot_size : 1);
	pthread_t *tids = calloc(threads, sizeof *tids);
	mn_status st = MN_OK;
	if (!s.slots || !s.user || !tids) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t lo = 0; lo < b->npatients && st == MN_OK; lo += batch) {
		s.lo = s.next = lo;
		s.hi = lo + batch < b->npatients ? lo + batch : b->npatients;
		memset(s.slots, 0, batch * sizeof *s.slots);
		memset(s.user, 0, batch * (o->slot_size ? o->slot_size : 1));
		unsigned started = 0;
		if (threads > 1) {
			for (; started < threads; started++)
				if (pthread_create(&tids[started], NULL, worker, &s) != 0)
					break;
		}
		if (!started)
			worker(&s);  /* one thread (or none could start): the calling thread works */
		for (unsigned t = 0; t < started; t++)
			pthread_join(tids[t], NULL);
		for (size_t i = s.lo; i < s.hi; i++) {
			run_slot *sl = &s.slots[i - s.lo];
			void *user = s.user + (i - s.lo) * (o->slot_size ? o->slot_size : 1);
			if (st == MN_OK && sl->st != MN_OK) {
				st = sl->st;
				if (err)
					*err = sl->err;
			}
			if (st == MN_OK && sl->arena) {
				st = o->emit(o->ctx, &sl->rec, user);
				if (st != MN_OK && err && !err->code)
					mn_error_set(err, st, "writing Patient/%s failed", b->patients[i].id);
				if (o->progress && st == MN_OK)
					o->progress(o->ctx, i + 1, b->npatients);
			} else if (sl->arena) {
				/* stopping: let emit release what work made */
				o->emit(NULL, &sl->rec, user);
			}
			mn_arena_free(sl->arena);
		}
	}
done:
	pthread_mutex_destroy(&s.mu);
	free(s.slots);
	free(s.user);
	free(tids);
	return st;
}
