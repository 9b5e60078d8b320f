package recommend

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// ALSConfig tunes the collaborative filter: implicit-feedback alternating
// least squares (Hu, Koren and Volinsky, "Collaborative Filtering for
// Implicit Feedback Datasets", 2008), each least-squares step solved
// approximately by a few conjugate-gradient iterations warm-started from
// the previous factors (Takács, Pilászy and Tikk, "Applications of the
// conjugate gradient method for implicit feedback collaborative
// filtering", 2011). The zero value uses the defaults.
type ALSConfig struct {
	Factors    int     // latent dimensions (default 32)
	Iterations int     // alternations of users then items (default 8)
	CGSteps    int     // conjugate-gradient steps per solve (default 3)
	Lambda     float32 // L2 regularisation (default 0.1)
	Alpha      float32 // confidence per unit of feedback weight (default 10)
	Seed       uint64  // initial factors; the same data and seed give the same model
	Workers    int     // goroutines (default GOMAXPROCS)
}

func (c ALSConfig) withDefaults() ALSConfig {
	if c.Factors <= 0 {
		c.Factors = 32
	}
	if c.Iterations <= 0 {
		c.Iterations = 8
	}
	if c.CGSteps <= 0 {
		c.CGSteps = 3
	}
	if c.Lambda <= 0 {
		c.Lambda = 0.1
	}
	if c.Alpha <= 0 {
		c.Alpha = 10
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Matrix is a sparse matrix of feedback weights in compressed rows: row r's
// columns are Cols[Ptr[r]:Ptr[r+1]] with weights Vals[...].
type Matrix struct {
	Rows, ColsN int
	Ptr         []int64
	Cols        []int32
	Vals        []float32
}

// Transpose returns the column-major view of m.
func (m *Matrix) Transpose() *Matrix {
	t := &Matrix{Rows: m.ColsN, ColsN: m.Rows, Ptr: make([]int64, m.ColsN+1), Cols: make([]int32, len(m.Cols)), Vals: make([]float32, len(m.Vals))}
	for _, c := range m.Cols {
		t.Ptr[c+1]++
	}
	for i := 0; i < m.ColsN; i++ {
		t.Ptr[i+1] += t.Ptr[i]
	}
	next := make([]int64, m.ColsN)
	copy(next, t.Ptr[:m.ColsN])
	for r := 0; r < m.Rows; r++ {
		for p := m.Ptr[r]; p < m.Ptr[r+1]; p++ {
			c := m.Cols[p]
			t.Cols[next[c]] = int32(r)
			t.Vals[next[c]] = m.Vals[p]
			next[c]++
		}
	}
	return t
}

// Factors is a trained model: a row of K floats per user and per item.
type Factors struct {
	K      int
	Users  []float32 // len = users*K
	Items  []float32 // len = items*K
	NUsers int
	NItems int
}

// User returns user u's factor row.
func (f *Factors) User(u int) []float32 { return f.Users[u*f.K : (u+1)*f.K] }

// Item returns item i's factor row.
func (f *Factors) Item(i int) []float32 { return f.Items[i*f.K : (i+1)*f.K] }

// TrainALS fits factors to the user × item feedback matrix r.
func TrainALS(r *Matrix, cfg ALSConfig) *Factors {
	cfg = cfg.withDefaults()
	k := cfg.Factors
	f := &Factors{K: k, NUsers: r.Rows, NItems: r.ColsN, Users: make([]float32, r.Rows*k), Items: make([]float32, r.ColsN*k)}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	scale := float32(1 / math.Sqrt(float64(k)))
	for i := range f.Items {
		f.Items[i] = (rng.Float32() - 0.5) * scale
	}
	rt := r.Transpose()
	for it := 0; it < cfg.Iterations; it++ {
		solve(r, f.Users, f.Items, k, cfg)
		solve(rt, f.Items, f.Users, k, cfg)
	}
	return f
}

// solve updates every row of x (one per row of m) against the fixed
// factors y, by cfg.CGSteps conjugate-gradient steps on
// (YᵀY + Yᵀ(Cᵤ−I)Y + λI) xᵤ = YᵀCᵤpᵤ.
func solve(m *Matrix, x, y []float32, k int, cfg ALSConfig) {
	gram := gramian(y, k, cfg.Workers)
	var wg sync.WaitGroup
	rows := m.Rows
	chunk := (rows + cfg.Workers*8 - 1) / (cfg.Workers * 8)
	if chunk < 64 {
		chunk = 64
	}
	next := make(chan int, cfg.Workers)
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newCGScratch(k)
			for start := range next {
				for u := start; u < min(start+chunk, rows); u++ {
					s.solveRow(m, u, x[u*k:(u+1)*k], y, gram, k, cfg)
				}
			}
		}()
	}
	for start := 0; start < rows; start += chunk {
		next <- start
	}
	close(next)
	wg.Wait()
}

// gramian returns YᵀY (k×k, row-major) for the rows of y.
func gramian(y []float32, k, workers int) []float32 {
	n := len(y) / k
	parts := make([][]float64, workers)
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := make([]float64, k*k)
			for r := w * per; r < min(n, (w+1)*per); r++ {
				row := y[r*k : (r+1)*k]
				for a := 0; a < k; a++ {
					ra := float64(row[a])
					if ra == 0 {
						continue
					}
					ga := g[a*k : (a+1)*k]
					for b := a; b < k; b++ {
						ga[b] += ra * float64(row[b])
					}
				}
			}
			parts[w] = g
		}(w)
	}
	wg.Wait()
	out := make([]float32, k*k)
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			var s float64
			for _, p := range parts {
				s += p[a*k+b]
			}
			out[a*k+b], out[b*k+a] = float32(s), float32(s)
		}
	}
	return out
}

type cgScratch struct{ r, p, ap []float32 }

func newCGScratch(k int) *cgScratch {
	return &cgScratch{r: make([]float32, k), p: make([]float32, k), ap: make([]float32, k)}
}

// mulA computes out = (G + Σ (cᵢ−1) yᵢyᵢᵀ + λI) v for row u.
func mulA(m *Matrix, u int, v, out, y, gram []float32, k int, cfg ALSConfig) {
	for a := 0; a < k; a++ {
		out[a] = cfg.Lambda*v[a] + dot(gram[a*k:(a+1)*k], v)
	}
	for p := m.Ptr[u]; p < m.Ptr[u+1]; p++ {
		yi := y[int(m.Cols[p])*k : (int(m.Cols[p])+1)*k]
		c := cfg.Alpha * m.Vals[p] // cᵢ − 1
		s := c * dot(yi, v)
		axpy(s, yi, out)
	}
}

func (s *cgScratch) solveRow(m *Matrix, u int, x, y, gram []float32, k int, cfg ALSConfig) {
	if m.Ptr[u] == m.Ptr[u+1] {
		clear(x) // no feedback: the regularised solution is zero
		return
	}
	// r = b − A x, b = Σ cᵢ yᵢ (pᵢ = 1 for every observed item).
	mulA(m, u, x, s.ap, y, gram, k, cfg)
	for a := range s.r {
		s.r[a] = -s.ap[a]
	}
	for p := m.Ptr[u]; p < m.Ptr[u+1]; p++ {
		yi := y[int(m.Cols[p])*k : (int(m.Cols[p])+1)*k]
		axpy(1+cfg.Alpha*m.Vals[p], yi, s.r)
	}
	copy(s.p, s.r)
	rs := dot(s.r, s.r)
	for step := 0; step < cfg.CGSteps && rs > 1e-10; step++ {
		mulA(m, u, s.p, s.ap, y, gram, k, cfg)
		pap := dot(s.p, s.ap)
		if pap <= 0 {
			break
		}
		alpha := rs / pap
		axpy(alpha, s.p, x)
		axpy(-alpha, s.ap, s.r)
		rsNew := dot(s.r, s.r)
		beta := rsNew / rs
		for a := range s.p {
			s.p[a] = s.r[a] + beta*s.p[a]
		}
		rs = rsNew
	}
}

func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	b = b[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

func axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
