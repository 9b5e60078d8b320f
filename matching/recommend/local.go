package recommend

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// hireScale is the number of planned hires that counts for half of the
// hiring part of the local score.
const hireScale = 500

// localFigures reads the figures of offer o for a worker of department
// dept and region: the best return-to-work rate of its Formacode domains
// around the worker, and the planned hires in the region for the
// occupations it prepares for.
func (c *Catalogue) localFigures(o *Offer, dept, region string) (best Outcome, found bool, hires int) {
	for _, fc := range o.Formacodes {
		if out, ok := c.market.Outcome(fc, dept, region); ok && (!found || out.RatePerMil > best.RatePerMil) {
			best, found = out, true
		}
	}
	for _, occ := range o.Occupations {
		hires += c.market.Hires(occ, region)
	}
	return best, found, hires
}

// localValue is the local score of the figures: the rate weighed by the
// hiring needs (saturating), or the hiring needs alone, lower, when no
// rate is published.
func localValue(best Outcome, found bool, hires int) float64 {
	h := float64(hires) / float64(hires+hireScale)
	if found {
		return float64(best.RatePerMil) / 1000 * (0.5 + 0.5*h)
	}
	return 0.3 * h
}

// localScore scores offer o for a worker of department dept and region,
// with the reason stating the figures.
func (c *Catalogue) localScore(o *Offer, dept, region string) (float64, Reason, bool) {
	best, found, hires := c.localFigures(o, dept, region)
	if !found && hires == 0 {
		return 0, Reason{}, false
	}
	var parts []string
	if found {
		parts = append(parts, fmt.Sprintf("%s de retour à l’emploi dans les six mois après une formation de ce domaine (%s)", percent(best.RatePerMil), best.Area))
	}
	where := "en France"
	if region != "" {
		where = "dans la région " + c.market.RegionName(region)
	}
	if hires > 0 {
		parts = append(parts, fmt.Sprintf("%s prévues %s dans les métiers qu’elle prépare", plural(hires, "embauche", "embauches"), where))
	}
	text := strings.Join(parts, " ; ")
	text = strings.ToUpper(text[:1]) + text[1:]
	r := Reason{Source: Local, Text: text, Hires: hires}
	if found {
		r.RatePerMil, r.Area = best.RatePerMil, best.Area
	}
	return localValue(best, found, hires), r, true
}

// percent writes a rate per mille as a whole French percentage ("72 %").
func percent(perMil int) string {
	return fmt.Sprintf("%d\u202f%%", (perMil+5)/10)
}

type localEntry struct {
	offer int32
	score float64
}

// localCache keeps, per (department, region), the local score of every
// available reachable offer and the best of them: every worker of an area
// shares them.
type localCache struct {
	c     *Catalogue
	mu    sync.Mutex
	areas map[string]*localArea
}

type localArea struct {
	once sync.Once
	list []localEntry // the best, by score then ID
	// score holds the local score of every offer, 0 for those out of
	// reach or without figures: dense, it takes less memory than a map
	// once a good part of the offers score, and a ranking reads it for
	// every candidate.
	score []float32
	// reasons caches the local reason of the offers that reached a top-K.
	mu      sync.RWMutex
	reasons map[int32]localReason
}

type localReason struct {
	r  Reason
	ok bool
}

// reason returns the local reason of offer i in the area (dept, region),
// as Catalogue.localScore writes it.
func (a *localArea) reason(c *Catalogue, i int32, dept, region string) (Reason, bool) {
	a.mu.RLock()
	lr, found := a.reasons[i]
	a.mu.RUnlock()
	if found {
		return lr.r, lr.ok
	}
	_, lr.r, lr.ok = c.localScore(&c.Offers[i], dept, region)
	a.mu.Lock()
	a.reasons[i] = lr
	a.mu.Unlock()
	return lr.r, lr.ok
}

func newLocalCache(c *Catalogue) *localCache {
	return &localCache{c: c, areas: map[string]*localArea{}}
}

func (l *localCache) area(dept, region string) *localArea {
	key := dept + "\x00" + region
	l.mu.Lock()
	a := l.areas[key]
	if a == nil {
		a = &localArea{}
		l.areas[key] = a
	}
	l.mu.Unlock()
	a.once.Do(func() {
		a.score = make([]float32, len(l.c.Offers))
		a.reasons = map[int32]localReason{}
		var list []localEntry
		for i := range l.c.Offers {
			o := &l.c.Offers[i]
			if !o.Available || !reachable(o, region) {
				continue
			}
			best, found, hires := l.c.localFigures(o, dept, region)
			if s := localValue(best, found, hires); s > 0 {
				// The stored score is the one ranks use: float32 keeps
				// every quantised blend the same.
				a.score[int32(i)] = float32(s)
				list = append(list, localEntry{int32(i), s})
			}
		}
		slices.SortFunc(list, func(x, y localEntry) int {
			return cmp.Or(cmp.Compare(y.score, x.score), strings.Compare(l.c.Offers[x.offer].ID, l.c.Offers[y.offer].ID))
		})
		a.list = slices.Clip(list[:min(len(list), 1000)])
	})
	return a
}
