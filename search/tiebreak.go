package search

import "hash/fnv"

// TieBreak orders equally scored offers for one client and one context in
// the current period, exactly as search orders equally relevant results:
// the keyed hash of (client, context, offer). Other rankings (the training
// recommendations) use it so that no provider is favoured among equals
// and one client sees a stable order until the key rotates.
type TieBreak struct{ rk requestKey }

// TieBreak returns the tie-break of a client (an address, or any stable
// identifier such as an account ID) and a context (a query, or the name of
// a ranking).
func (k *Keys) TieBreak(client, context string) TieBreak {
	return TieBreak{k.request(k.current(), client, context)}
}

// Of returns the tie-break value of an offer: among equals, the smaller
// comes first.
func (t TieBreak) Of(offerID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(offerID))
	return t.rk.tie(h.Sum64())
}
