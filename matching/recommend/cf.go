package recommend

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Model is the trained collaborative filter: factors per account and per
// offer, and profile groups, clusters of accounts whose factors are close,
// with how many accounts of each group followed each offer. The groups
// give the candidates of an account (what its group followed) and the
// explanation "followed by N people with a profile close to yours", N
// being the accounts of its group that followed the offer. Read-only once
// trained: safe for concurrent use.
type Model struct {
	Version   string
	f         *Factors
	userIndex map[string]int32
	cluster   []int32 // per user; -1 for users without feedback
	// byItem holds, per group, the offers its accounts followed sorted by
	// offer, for lookups; top the same sorted by followers, most first.
	byItem [][]clusterItem
	top    [][]clusterItem
}

type clusterItem struct {
	item  int32
	count int32
}

// ModelConfig tunes training.
type ModelConfig struct {
	ALS ALSConfig
	// Groups is the number of profile groups (default: one per 100
	// accounts with history, between 1 and 256).
	Groups int
	// GroupCandidates is how many of its group's most followed offers an
	// account considers (default 200).
	GroupCandidates int
}

// Train fits the model to the accounts' histories over the catalogue's
// offers. It is deterministic: the same inputs give the same model.
func Train(cat *Catalogue, accounts []Account, cfg ModelConfig) *Model {
	m := &Model{userIndex: make(map[string]int32, len(accounts))}
	mat := &Matrix{Rows: len(accounts), ColsN: len(cat.Offers), Ptr: make([]int64, len(accounts)+1)}
	h := sha256.New()
	row := map[int32]float32{}
	var cols []int32
	for u := range accounts {
		a := &accounts[u]
		m.userIndex[a.ID] = int32(u)
		clear(row)
		for _, e := range a.History {
			if i, ok := cat.byID[e.Offer]; ok {
				row[i] += e.Weight
			}
		}
		cols = cols[:0]
		for i := range row {
			cols = append(cols, i)
		}
		slices.Sort(cols)
		h.Write([]byte(a.ID))
		for _, i := range cols {
			mat.Cols = append(mat.Cols, i)
			mat.Vals = append(mat.Vals, row[i])
			var b [8]byte
			binary.LittleEndian.PutUint32(b[:4], uint32(i))
			binary.LittleEndian.PutUint32(b[4:], math.Float32bits(row[i]))
			h.Write(b[:])
		}
		mat.Ptr[u+1] = int64(len(mat.Cols))
	}
	for _, o := range cat.Offers {
		h.Write([]byte(o.ID))
	}
	m.f = TrainALS(mat, cfg.ALS)
	m.Version = hex.EncodeToString(h.Sum(nil)[:8])

	active := 0
	for u := 0; u < mat.Rows; u++ {
		if mat.Ptr[u+1] > mat.Ptr[u] {
			active++
		}
	}
	groups := cfg.Groups
	if groups <= 0 {
		groups = max(1, min(256, active/100))
	}
	m.cluster = kmeans(m.f, mat, groups, cfg.ALS.withDefaults().Workers)
	counts := make([]map[int32]int32, groups)
	for g := range counts {
		counts[g] = map[int32]int32{}
	}
	for u := range accounts {
		g := m.cluster[u]
		if g < 0 {
			continue
		}
		seen := map[int32]bool{}
		for _, e := range accounts[u].History {
			if i, ok := cat.byID[e.Offer]; ok && e.Followed && !seen[i] {
				seen[i] = true
				counts[g][i]++
			}
		}
	}
	n := cfg.GroupCandidates
	if n <= 0 {
		n = 200
	}
	m.byItem = make([][]clusterItem, groups)
	m.top = make([][]clusterItem, groups)
	for g, c := range counts {
		list := make([]clusterItem, 0, len(c))
		for i, k := range c {
			list = append(list, clusterItem{i, k})
		}
		slices.SortFunc(list, func(a, b clusterItem) int { return cmp.Compare(a.item, b.item) })
		m.byItem[g] = list
		top := slices.Clone(list)
		slices.SortStableFunc(top, func(a, b clusterItem) int { return cmp.Compare(b.count, a.count) })
		m.top[g] = top[:min(len(top), n)]
	}
	return m
}

// followers returns how many accounts of group g followed offer i.
func (m *Model) followers(g, i int32) int {
	if g < 0 {
		return 0
	}
	list := m.byItem[g]
	j, ok := slices.BinarySearchFunc(list, i, func(c clusterItem, t int32) int { return cmp.Compare(c.item, t) })
	if !ok {
		return 0
	}
	return int(list[j].count)
}

// Group returns an account's profile group, -1 when it has none.
func (m *Model) Group(account string) int {
	u, ok := m.userIndex[account]
	if !ok {
		return -1
	}
	return int(m.cluster[u])
}

// kmeans groups the users with feedback by the direction of their factors
// (spherical k-means, a few Lloyd iterations from evenly spread seeds).
func kmeans(f *Factors, mat *Matrix, k, workers int) []int32 {
	dim := f.K
	assign := make([]int32, f.NUsers)
	var users []int32
	for u := 0; u < f.NUsers; u++ {
		assign[u] = -1
		if mat.Ptr[u+1] > mat.Ptr[u] {
			users = append(users, int32(u))
		}
	}
	if len(users) == 0 {
		return assign
	}
	k = min(k, len(users))
	norm := make([]float32, len(users)*dim)
	for j, u := range users {
		v := norm[j*dim : (j+1)*dim]
		copy(v, f.User(int(u)))
		normalise(v)
	}
	cent := make([]float32, k*dim)
	for c := 0; c < k; c++ {
		j := c * len(users) / k
		copy(cent[c*dim:(c+1)*dim], norm[j*dim:(j+1)*dim])
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	local := make([]int32, len(users))
	for it := 0; it < 6; it++ {
		var wg sync.WaitGroup
		per := (len(users) + workers - 1) / workers
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for j := w * per; j < min(len(users), (w+1)*per); j++ {
					v := norm[j*dim : (j+1)*dim]
					best, bestS := int32(0), float32(math.Inf(-1))
					for c := 0; c < k; c++ {
						if s := dot(cent[c*dim:(c+1)*dim], v); s > bestS {
							best, bestS = int32(c), s
						}
					}
					local[j] = best
				}
			}(w)
		}
		wg.Wait()
		clear(cent)
		sizes := make([]int, k)
		for j, c := range local {
			axpy(1, norm[j*dim:(j+1)*dim], cent[int(c)*dim:(int(c)+1)*dim])
			sizes[c]++
		}
		for c := 0; c < k; c++ {
			if sizes[c] == 0 { // an empty group takes a member of the largest
				j := (c*7919 + it) % len(users)
				copy(cent[c*dim:(c+1)*dim], norm[j*dim:(j+1)*dim])
			}
			normalise(cent[c*dim : (c+1)*dim])
		}
	}
	for j, u := range users {
		assign[u] = local[j]
	}
	return assign
}

func normalise(v []float32) {
	n := float32(math.Sqrt(float64(dot(v, v))))
	if n > 0 {
		for i := range v {
			v[i] /= n
		}
	}
}
