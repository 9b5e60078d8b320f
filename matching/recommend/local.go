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

// localScore scores offer o for a worker of department dept and region:
// the return-to-work rate of its best Formacode domain around the worker,
// weighed by the planned hires in the region for the occupations it
// prepares for. The reason states both figures.
func (c *Catalogue) localScore(o *Offer, dept, region string) (float64, Reason, bool) {
	var best Outcome
	found := false
	for _, fc := range o.Formacodes {
		if out, ok := c.market.Outcome(fc, dept, region); ok && (!found || out.RatePerMil > best.RatePerMil) {
			best, found = out, true
		}
	}
	hires := 0
	for _, occ := range o.Occupations {
		hires += c.market.Hires(occ, region)
	}
	if !found && hires == 0 {
		return 0, Reason{}, false
	}
	h := float64(hires) / float64(hires+hireScale)
	var score float64
	var parts []string
	if found {
		score = float64(best.RatePerMil) / 1000 * (0.5 + 0.5*h)
		parts = append(parts, fmt.Sprintf("%s de retour à l’emploi dans les six mois après une formation de ce domaine (%s)", percent(best.RatePerMil), best.Area))
	} else {
		score = 0.3 * h
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
	return score, r, true
}

// percent writes a rate per mille as a whole French percentage ("72 %").
func percent(perMil int) string {
	return fmt.Sprintf("%d\u202f%%", (perMil+5)/10)
}

type localEntry struct {
	offer int32
	score float64
}

// localCache keeps, per (department, region), the available offers ranked
// by local score: every worker of an area shares one list.
type localCache struct {
	c     *Catalogue
	mu    sync.Mutex
	areas map[string]*localArea
}

type localArea struct {
	once sync.Once
	list []localEntry
}

func newLocalCache(c *Catalogue) *localCache {
	return &localCache{c: c, areas: map[string]*localArea{}}
}

func (l *localCache) top(dept, region string, n int) []localEntry {
	key := dept + "\x00" + region
	l.mu.Lock()
	a := l.areas[key]
	if a == nil {
		a = &localArea{}
		l.areas[key] = a
	}
	l.mu.Unlock()
	a.once.Do(func() {
		var list []localEntry
		for i := range l.c.Offers {
			o := &l.c.Offers[i]
			if !o.Available || !reachable(o, region) {
				continue
			}
			if s, _, ok := l.c.localScore(o, dept, region); ok && s > 0 {
				list = append(list, localEntry{int32(i), s})
			}
		}
		slices.SortFunc(list, func(x, y localEntry) int {
			return cmp.Or(cmp.Compare(y.score, x.score), strings.Compare(l.c.Offers[x.offer].ID, l.c.Offers[y.offer].ID))
		})
		a.list = list[:min(len(list), 1000)]
	})
	return a.list[:min(len(a.list), n)]
}
