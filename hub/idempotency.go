package hub

import (
	"container/list"
	"crypto/sha256"
	"sync"

	"github.com/island-sensors/island"
)

// HeaderIdempotencyKey names the request header that makes a POST /ingest
// safe to retry: the same key and body get the first answer again.
const HeaderIdempotencyKey = "Idempotency-Key"

// HeaderIdempotentReplay is set to "true" on an answer that repeats the
// first answer to an Idempotency-Key.
const HeaderIdempotentReplay = "Idempotent-Replayed"

// MaxKeyLength bounds an Idempotency-Key.
const MaxKeyLength = 255

// keyEntry is what the hub remembers of one Idempotency-Key.
type keyEntry struct {
	key  string
	sum  [sha256.Size]byte
	done bool
	ans  answer
}

// keyCache remembers the answers to the last max Idempotency-Keys, evicting
// the oldest answered first, and every key still in flight. It is safe for
// concurrent use.
type keyCache struct {
	mu    sync.Mutex
	max   int
	byKey map[string]*list.Element
	order *list.List // of *keyEntry, oldest at the front
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, byKey: map[string]*list.Element{}, order: list.New()}
}

// begin claims key for a request whose body hashes to sum. It returns the
// entry to finish when the key is new, or else the answer to send: the
// first answer again, or an error when that answer is not ready yet or the
// key came with another body.
func (k *keyCache) begin(key string, sum [sha256.Size]byte) (*keyEntry, answer, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if el, ok := k.byKey[key]; ok {
		e := el.Value.(*keyEntry)
		switch {
		case e.sum != sum:
			return nil, errAnswer(&island.Error{Code: island.EKeyReused,
				Message: "this Idempotency-Key came earlier with another body; " +
					"use a new key for a new batch",
				Details: []string{"Idempotency-Key: " + key}}), false
		case !e.done:
			return nil, errAnswer(&island.Error{Code: island.EKeyInFlight,
				Message: "the first request with this Idempotency-Key is still being " +
					"processed; retry it shortly",
				Details: []string{"Idempotency-Key: " + key}}), false
		default:
			return nil, e.ans, true
		}
	}
	e := &keyEntry{key: key, sum: sum}
	k.byKey[key] = k.order.PushBack(e)
	k.evict()
	return e, answer{}, false
}

// evict drops the oldest answered keys until at most max are kept. A key
// still in flight is never dropped, so that its retries get 409 rather than
// a second application; there are at most as many of those as requests
// being served.
func (k *keyCache) evict() {
	for el := k.order.Front(); el != nil && k.order.Len() > k.max; {
		next := el.Next()
		if e := el.Value.(*keyEntry); e.done {
			k.order.Remove(el)
			delete(k.byKey, e.key)
		}
		el = next
	}
}

// finish records the answer of e's first request, for replays.
func (k *keyCache) finish(e *keyEntry, ans answer) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.ans, e.done = ans, true
}

// forget drops e, so that the key may be tried again: for a request that
// failed inside the hub rather than because of what it sent.
func (k *keyCache) forget(e *keyEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if el, ok := k.byKey[e.key]; ok && el.Value == e {
		k.order.Remove(el)
		delete(k.byKey, e.key)
	}
}
