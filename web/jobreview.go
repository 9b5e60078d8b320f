package web

import (
	"sort"
	"strings"

	"github.com/parcours/parcours/controls"
)

// The job post on its alert: the controller reads the post's text with
// the flagged passages marked, and publishes or rejects the post.

// textPart is a run of a screened text, marked when a finding flags it.
type textPart struct {
	Text string
	Mark bool
	Note string // the criteria of the marked passage
}

// highlight cuts text into runs, marking every occurrence of the
// findings' passages in field (overlapping passages merge).
func highlight(text, field string, fs []controls.Finding) []textPart {
	type span struct {
		from, to int
		notes    []string
	}
	var spans []span
	for _, f := range fs {
		if f.Field != field || f.Passage == "" {
			continue
		}
		for i := 0; i < len(text); {
			j := strings.Index(text[i:], f.Passage)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(f.Passage), []string{controls.CriterionLabel(f.Criterion)}})
			i += j + len(f.Passage)
		}
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].from < spans[b].from })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.from < merged[n-1].to {
			merged[n-1].to = max(merged[n-1].to, s.to)
			for _, x := range s.notes {
				if !strings.Contains(strings.Join(merged[n-1].notes, "\x00"), x) {
					merged[n-1].notes = append(merged[n-1].notes, x)
				}
			}
			continue
		}
		merged = append(merged, s)
	}
	var out []textPart
	at := 0
	for _, s := range merged {
		if s.from > at {
			out = append(out, textPart{Text: text[at:s.from]})
		}
		out = append(out, textPart{Text: text[s.from:s.to], Mark: true, Note: strings.Join(s.notes, ", ")})
		at = s.to
	}
	if at < len(text) {
		out = append(out, textPart{Text: text[at:]})
	}
	return out
}

// jobPostView is the job post on its alert's page.
type jobPostView struct {
	ID, Employer, Status string
	Title, Description   []textPart
	Held                 bool
}

var jobPostStatusLabels = map[string]string{
	"draft": "Brouillon : l’employeur l’a modifiée, elle sera examinée de nouveau à sa publication", "held": "En attente de votre décision : non publiée",
	"published": "Publiée", "rejected": "Refusée", "closed": "Clôturée par l’employeur",
}

func jobPostOf(p *controls.JobPost, fs []controls.Finding) *jobPostView {
	if p == nil {
		return nil
	}
	v := &jobPostView{ID: p.ID, Employer: p.EmployerName, Status: jobPostStatusLabels[p.Status], Held: p.Held,
		Title: highlight(p.Title, "title", fs), Description: highlight(p.Description, "description", fs)}
	if v.Employer == "" {
		v.Employer = "SIRET " + p.EmployerSIRET
	} else {
		v.Employer += " (SIRET " + p.EmployerSIRET + ")"
	}
	return v
}
