/*
 * Out-of-line wrappers for DPDK's static-inline fast-path functions and for
 * the thread-local rte_errno / lcore id, so Rust can call them. Each wrapper
 * is one real call: the safe layer calls them once per burst, never per
 * packet.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/types.h>

#include <rte_config.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

int ferrovs_rte_errno(void) { return rte_errno; }

void ferrovs_rte_errno_set(int value) { rte_errno = value; }

unsigned ferrovs_rte_lcore_id(void) { return rte_lcore_id(); }

uint16_t ferrovs_rte_eth_rx_burst(uint16_t port_id, uint16_t queue_id,
				  struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t ferrovs_rte_eth_tx_burst(uint16_t port_id, uint16_t queue_id,
				  struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

struct rte_mbuf *ferrovs_rte_pktmbuf_alloc(struct rte_mempool *mp)
{
	return rte_pktmbuf_alloc(mp);
}

int ferrovs_rte_pktmbuf_alloc_bulk(struct rte_mempool *mp,
				   struct rte_mbuf **mbufs, unsigned count)
{
	return rte_pktmbuf_alloc_bulk(mp, mbufs, count);
}

void ferrovs_rte_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }

void ferrovs_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned count)
{
	rte_pktmbuf_free_bulk(mbufs, count);
}

uint16_t ferrovs_rte_mbuf_refcnt_read(const struct rte_mbuf *m)
{
	return rte_mbuf_refcnt_read(m);
}

uint16_t ferrovs_rte_mbuf_refcnt_update(struct rte_mbuf *m, int16_t value)
{
	return rte_mbuf_refcnt_update(m, value);
}

struct rte_mbuf *ferrovs_rte_pktmbuf_clone(struct rte_mbuf *md,
					   struct rte_mempool *mp)
{
	return rte_pktmbuf_clone(md, mp);
}

void ferrovs_rte_prefetch0(const volatile void *p) { rte_prefetch0(p); }

void ferrovs_rte_prefetch1(const volatile void *p) { rte_prefetch1(p); }

void ferrovs_rte_prefetch2(const volatile void *p) { rte_prefetch2(p); }

unsigned ferrovs_rte_ring_enqueue_burst(struct rte_ring *r,
					void *const *obj_table, unsigned n,
					unsigned *free_space)
{
	return rte_ring_enqueue_burst(r, obj_table, n, free_space);
}

unsigned ferrovs_rte_ring_dequeue_burst(struct rte_ring *r, void **obj_table,
					unsigned n, unsigned *available)
{
	return rte_ring_dequeue_burst(r, obj_table, n, available);
}

unsigned ferrovs_rte_ring_count(const struct rte_ring *r)
{
	return rte_ring_count(r);
}

unsigned ferrovs_rte_mempool_cache_flush_current(struct rte_mempool *mp)
{
	struct rte_mempool_cache *cache =
		rte_mempool_default_cache(mp, rte_lcore_id());
	unsigned len = 0;

	if (cache != NULL) {
		len = cache->len;
		rte_mempool_cache_flush(cache, mp);
	}
	return len;
}

/*
 * A line-buffered stdio stream whose output goes to `write_fn` (for
 * rte_openlog_stream), or NULL with errno set.
 */
FILE *ferrovs_log_stream(ssize_t (*write_fn)(void *, const char *, size_t))
{
	cookie_io_functions_t funcs = {
		.read = NULL,
		.write = write_fn,
		.seek = NULL,
		.close = NULL,
	};
	FILE *f = fopencookie(NULL, "w", funcs);

	if (f != NULL)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
