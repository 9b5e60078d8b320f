package search

// Typo tolerance uses a deletion index (the SymSpell idea): every indexed
// word is stored under each string made by deleting one of its letters.
// Two words within one edit (insertion, deletion, substitution or swap of
// neighbours) share the word itself or one such string, so looking up the
// query word and its own one-letter deletions finds every candidate,
// which an exact Damerau-Levenshtein distance then confirms. Long words
// (8 letters or more) may be two edits away: their two-letter deletions
// are looked up as well, which finds most such typos.
//
// Words holding a digit never enter the deletion index, and query words
// holding one are never looked up: numbers match exactly or not at all.

// Minimum lengths of a query word for one and two typos.
const (
	minFuzzy1 = 4
	minFuzzy2 = 8
)

// addDeletes indexes term id under its one-letter deletions.
func (ix *Index) addDeletes(term string, id uint32) {
	if len(term) < minFuzzy1-1 || hasDigit(term) {
		return
	}
	for _, d := range deletes1(term) {
		ix.deletes[d] = append(ix.deletes[d], id)
	}
}

// deletes1 returns the distinct strings made by deleting one byte of w
// (folded words are ASCII).
func deletes1(w string) []string {
	out := make([]string, 0, len(w))
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] {
			continue // same string as deleting w[i-1]
		}
		out = append(out, w[:i]+w[i+1:])
	}
	return out
}

// fuzzy returns the ids of indexed terms within the allowed edit distance
// of w, other than w itself. The caller holds ix.mu.
func (ix *Index) fuzzy(w string) []uint32 {
	if len(w) < minFuzzy1 || hasDigit(w) {
		return nil
	}
	maxDist := 1
	if len(w) >= minFuzzy2 {
		maxDist = 2
	}
	seen := map[uint32]bool{}
	var out []uint32
	consider := func(id uint32) {
		if seen[id] {
			return
		}
		seen[id] = true
		t := ix.terms[id]
		if t != w && len(ix.postings[id]) > 0 && damerau(w, t, maxDist) <= maxDist {
			out = append(out, id)
		}
	}
	probe := func(s string) {
		if id, ok := ix.termID[s]; ok {
			consider(id)
		}
		for _, id := range ix.deletes[s] {
			consider(id)
		}
	}
	probe(w)
	d1 := deletes1(w)
	for _, d := range d1 {
		probe(d)
	}
	if maxDist == 2 {
		for _, d := range d1 {
			for _, dd := range deletes1(d) {
				probe(dd)
			}
		}
	}
	return out
}

// prefixed returns the ids of indexed terms that start with w, for a query
// word typed in part ("développ"). The caller holds ix.mu.
func (ix *Index) prefixed(w string) []uint32 {
	if len(w) < minFuzzy1 || hasDigit(w) {
		return nil
	}
	var out []uint32
	for id, t := range ix.terms {
		if len(t) > len(w) && t[:len(w)] == w && len(ix.postings[id]) > 0 {
			out = append(out, uint32(id))
			if len(out) == 64 {
				break
			}
		}
	}
	return out
}

// damerau returns the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbours), or a
// number above limit as soon as it is sure to exceed it.
func damerau(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
