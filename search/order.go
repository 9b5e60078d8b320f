package search

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// Keys derives the keys of the tie-break, the random order among equally
// relevant offers. Time is cut into periods (one day by default); the key
// of period n is HMAC-SHA-256(secret, "parcours search order" || n), so
// that every replica sharing the secret orders alike and a restart keeps
// the order until the period ends, while the order changes at each new
// period. It is safe for concurrent use.
type Keys struct {
	secret []byte
	period time.Duration
	now    func() time.Time

	mu    sync.Mutex
	cache map[int64][32]byte
}

// NewKeys returns keys derived from secret, rotated every period; now may
// be nil for time.Now.
func NewKeys(secret []byte, period time.Duration, now func() time.Time) *Keys {
	if period <= 0 {
		period = 24 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	return &Keys{secret: secret, period: period, now: now, cache: map[int64][32]byte{}}
}

// RandomKeys returns keys from a random secret of this process.
func RandomKeys(period time.Duration) *Keys {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		panic("search: no randomness: " + err.Error())
	}
	return NewKeys(secret, period, nil)
}

// Period returns the rotation period.
func (k *Keys) Period() time.Duration { return k.period }

// current returns the number of the period in force.
func (k *Keys) current() int64 { return k.now().UnixNano() / int64(k.period) }

func (k *Keys) periodKey(n int64) [32]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.cache[n]; ok {
		return key
	}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("parcours search order"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	m.Write(b[:])
	var key [32]byte
	copy(key[:], m.Sum(nil))
	if len(k.cache) > 8 {
		clear(k.cache)
	}
	k.cache[n] = key
	return key
}

// requestKey is the key of one (client, query) in one period: the
// tie-break of an offer is tie(requestKey, offer).
type requestKey struct{ k0, k1 uint64 }

// request returns the key of a client address and a normalised query in
// period n. IPv6 addresses count by their /64 prefix, the part a
// household or a phone keeps while its privacy addresses rotate; an
// address that does not parse counts as it is written.
func (k *Keys) request(n int64, client, query string) requestKey {
	key := k.periodKey(n)
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(clientID(client)))
	m.Write([]byte{0})
	m.Write([]byte(query))
	sum := m.Sum(nil)
	return requestKey{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])}
}

// clientID normalises a client address.
func clientID(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil {
		return client
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// tie returns the tie-break of the offer whose ID hashes to seed: a keyed
// mix of the request key and the offer. Two rounds of the SplitMix64
// finaliser separated by the second key half make every output bit depend
// on every key and seed bit; without the key, the order is unpredictable.
func (r requestKey) tie(seed uint64) uint64 {
	return mix64(mix64(seed^r.k0) ^ r.k1)
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
