package marketplace

import (
	"context"
	"strings"
	"time"
)

// Criteria of an evaluation, in the order of the real platform: accueil,
// contenu, formateurs, moyens, accompagnement, appréciation globale.
var Criteria = []string{"reception", "content", "trainers", "resources", "support", "overall"}

// CriteriaLabels are the criteria's French names, in the order of Criteria.
var CriteriaLabels = []string{"Accueil", "Contenu", "Formateurs", "Moyens", "Accompagnement", "Appréciation globale"}

// Evaluation is a learner's rating of a finished training: a score from 1
// to 5 for each criterion and an optional comment, which a controller may
// hide.
type Evaluation struct {
	DossierID     string
	OfferID       string
	ProviderID    string
	Scores        [6]int // in the order of Criteria
	Comment       string
	CommentHidden bool
	At            time.Time
}

// MaxCommentRunes bounds an evaluation's comment.
const MaxCommentRunes = 2000

// Validate checks the scores and comment.
func (e *Evaluation) Validate() error {
	var v ValidationError
	for i, s := range e.Scores {
		if s < 1 || s > 5 {
			v.Add(Criteria[i], "must be a score from 1 to 5")
		}
	}
	e.Comment = strings.TrimSpace(e.Comment)
	checkText(&v, "comment", e.Comment, 0, MaxCommentRunes)
	return v.Err()
}

// Ratings sums the evaluations of one offer or provider.
type Ratings struct {
	Count int
	Sums  [6]int64
}

// Average returns the mean score of criterion i, 0 without evaluations.
func (r Ratings) Average(i int) float64 {
	if r.Count == 0 {
		return 0
	}
	return float64(r.Sums[i]) / float64(r.Count)
}

// Add counts one evaluation.
func (r *Ratings) Add(e Evaluation) {
	r.Count++
	for i, s := range e.Scores {
		r.Sums[i] += int64(s)
	}
}

// Rating returns the mean overall score (1 to 5) and the number of
// evaluations of an offer, and whether it has any: what search result
// cards show. A store error reads as no rating, since a card must not fail
// for it.
func (s *EnrolmentService) Rating(offerID string) (avg float64, count int, ok bool) {
	r, err := s.Store().Ratings(context.Background(), "offer:"+offerID)
	if err != nil || r.Count == 0 {
		return 0, 0, false
	}
	return r.Average(len(Criteria) - 1), r.Count, true
}
