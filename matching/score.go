package matching

import (
	"math"
	"time"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/skills"
)

// Worker is everything the scorer knows of a candidate: their stated
// preferences and the skills they hold. It deliberately has no field for a
// name, an age, a sex, a nationality, a photo, an address or any other
// criterion of article 225-1 of the penal code (a test inspects its
// fields). The place enters only as the point the candidate's own radius is
// measured from.
type Worker struct {
	Occupations    []string
	Lat, Lon       float64
	RadiusKm       float64
	Contracts      []Contract
	HoursMin       int
	HoursMax       int
	AvailableFrom  time.Time
	MinSalaryCents int64
	// Skills maps a skill ID to the evidence of the person holding it or
	// a narrower skill (Attested beats Declared).
	Skills map[string]skills.Evidence
}

// Job is everything the scorer knows of an offer.
type Job struct {
	ROME           string
	Lat, Lon       float64
	Contract       Contract
	HoursPerWeek   int
	SalaryMinCents int64
	SalaryMaxCents int64
	Start          time.Time
	Essential      []string // skill IDs
	Optional       []string
}

// Weights of the scorer. They are hand-set and documented in
// docs/matching.md; the evaluation (Evaluate) shows their effect.
const (
	// An attested skill counts fully, a declared one for this much.
	declaredWeight = 0.6
	// An essential skill weighs twice an optional one in the coverage.
	essentialWeight = 2.0
	// A candidate available this many days after the start halves the
	// availability term.
	lateHalfDays = 30.0
)

// WorkerFit is how well a job suits the worker, from 0 (excluded by a
// stated preference) to 1: the occupation's rank among those wanted, the
// distance within the radius, the salary above the minimum, the hours.
func WorkerFit(w *Worker, j *Job) float64 {
	rank := -1
	for i, o := range w.Occupations {
		if o == j.ROME {
			rank = i
			break
		}
	}
	if rank < 0 || !containsContract(w.Contracts, j.Contract) {
		return 0
	}
	d := geo.DistanceKm(w.Lat, w.Lon, j.Lat, j.Lon)
	if d > w.RadiusKm {
		return 0
	}
	if w.MinSalaryCents > 0 && j.SalaryMaxCents < w.MinSalaryCents {
		return 0
	}
	occupation := 1 / (1 + 0.25*float64(rank))
	distance := 1 - 0.7*d/math.Max(w.RadiusKm, 1)
	salary := 1.0
	if w.MinSalaryCents > 0 {
		// Half credit at the minimum, full at 30% above it.
		mid := float64(j.SalaryMinCents+j.SalaryMaxCents) / 2
		salary = clamp(0.5+0.5*(mid-float64(w.MinSalaryCents))/(0.3*float64(w.MinSalaryCents)), 0.2, 1)
	}
	hours := 1.0
	if j.HoursPerWeek < w.HoursMin {
		hours = clamp(1-float64(w.HoursMin-j.HoursPerWeek)/10, 0, 1)
	} else if j.HoursPerWeek > w.HoursMax {
		hours = clamp(1-float64(j.HoursPerWeek-w.HoursMax)/10, 0, 1)
	}
	return 0.35*occupation + 0.3*distance + 0.2*salary + 0.15*hours
}

// JobFit is how well the worker suits the job, from 0 (no required skill
// covered) to 1: the weighted share of the required skills the worker
// holds (essential skills weigh double, declared skills count for less than
// attested ones), and availability before the start date.
func JobFit(w *Worker, j *Job) float64 {
	var total, covered float64
	add := func(ids []string, weight float64) {
		for _, id := range ids {
			total += weight
			switch w.Skills[id] {
			case skills.Attested:
				covered += weight
			case skills.Declared:
				covered += weight * declaredWeight
			}
		}
	}
	add(j.Essential, essentialWeight)
	add(j.Optional, 1)
	if total == 0 || covered == 0 {
		return 0
	}
	availability := 1.0
	if late := w.AvailableFrom.Sub(j.Start).Hours() / 24; late > 0 {
		availability = lateHalfDays / (lateHalfDays + late)
	}
	return 0.8*covered/total + 0.2*availability
}

// Score is the reciprocal score of a pair: the harmonic mean of both fits,
// so that a pair is only as good as its weaker side; 0 when either side
// excludes the other.
func Score(w *Worker, j *Job) (score, workerFit, jobFit float64) {
	workerFit = WorkerFit(w, j)
	if workerFit == 0 {
		return 0, 0, 0
	}
	jobFit = JobFit(w, j)
	if jobFit == 0 {
		return 0, workerFit, 0
	}
	return 2 * workerFit * jobFit / (workerFit + jobFit), workerFit, jobFit
}

func containsContract(cs []Contract, c Contract) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// WorkerOf is the scorer's view of a candidate, given the skills the person
// holds (with narrower skills already credited to their broader ones).
func WorkerOf(c *Candidate, held map[string]skills.Evidence) Worker {
	p := c.Preferences
	return Worker{
		Occupations: p.Occupations, Lat: p.Lat, Lon: p.Lon, RadiusKm: float64(p.RadiusKm),
		Contracts: p.Contracts, HoursMin: p.HoursMin, HoursMax: p.HoursMax,
		AvailableFrom: p.AvailableFrom, MinSalaryCents: p.MinSalaryCents, Skills: held,
	}
}

// JobOf is the scorer's view of an offer.
func JobOf(o *JobOffer) Job {
	j := Job{ROME: o.ROME, Lat: o.Lat, Lon: o.Lon, Contract: o.Contract, HoursPerWeek: o.HoursPerWeek,
		SalaryMinCents: o.SalaryMinCents, SalaryMaxCents: o.SalaryMaxCents, Start: o.Start}
	for _, s := range o.Skills {
		if s.Essential {
			j.Essential = append(j.Essential, s.SkillID)
		} else {
			j.Optional = append(j.Optional, s.SkillID)
		}
	}
	return j
}
