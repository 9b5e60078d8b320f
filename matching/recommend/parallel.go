package recommend

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls fn(i) for i in [0, n) on every core.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(64)) - 64
				if start >= n {
					return
				}
				for i := start; i < min(start+64, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}
