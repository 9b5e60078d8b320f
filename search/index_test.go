package search

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
)

func offer(id, title, region string, skills ...string) marketplace.Offer {
	return marketplace.Offer{
		ID: id, ProviderID: "p-" + id, Title: title, Region: region, Status: marketplace.Published,
		Certification: marketplace.Certification{Kind: marketplace.RS, Code: "RS5517", Title: "TOEIC"},
		Skills:        skills, Modality: marketplace.InPerson, Description: "Cours du soir à Lyon",
	}
}

func ids(r Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Offer.ID)
	}
	return out
}

func TestSearchMatchesAndFilters(t *testing.T) {
	ix := New()
	ix.OfferSaved(offer("a", "Anglais professionnel", "84"), nil)
	ix.OfferSaved(offer("b", "Développeur web", "11", "JavaScript"), nil)
	ix.OfferSaved(offer("c", "Espagnol débutant", "84"), nil)
	draft := offer("d", "Anglais intensif", "84")
	draft.Status = marketplace.Draft
	ix.OfferSaved(draft, nil)

	tests := []struct {
		q    Query
		want []string
	}{
		{Query{Text: "anglais"}, []string{"a"}},
		{Query{Text: "ANGLAIS Professionnel"}, []string{"a"}},
		{Query{Text: "developpeur"}, []string{"b"}},
		{Query{Text: "développ"}, []string{"b"}}, // prefix of 4+ letters
		{Query{Text: "javascript"}, []string{"b"}},
		{Query{Text: "dev"}, []string{"b"}}, // a synonym of développeur
		{Query{Text: "anglais allemand"}, nil},
		{Query{Text: "formation d'anglais"}, []string{"a"}}, // stop words
		{Query{Region: "11"}, []string{"b"}},
		{Query{Text: "soir", Region: "84"}, []string{"a", "c"}},
	}
	for _, tt := range tests {
		r, err := ix.Search(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(r)
		if tt.q.Text == "soir" {
			// Equal scores: order is the keyed hash's; compare as a set.
			if len(got) == 2 && got[0] == "c" {
				got[0], got[1] = got[1], got[0]
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Search(%+v) (-want +got):\n%s", tt.q, diff)
		}
		if r.Total != len(tt.want) {
			t.Errorf("Search(%+v).Total = %d", tt.q, r.Total)
		}
	}
}

func TestTitleWeighsMoreThanDescription(t *testing.T) {
	ix := New()
	ix.OfferSaved(offer("desc", "Espagnol", "84"), nil) // "lyon" only in the description
	ix.OfferSaved(offer("title", "Anglais à Lyon", "84"), nil)
	r, _ := ix.Search(Query{Text: "lyon"})
	if diff := cmp.Diff([]string{"title", "desc"}, ids(r)); diff != "" {
		t.Error(diff)
	}
}

func TestPaginationIsStableAndComplete(t *testing.T) {
	ix := New()
	for i := 0; i < 45; i++ {
		ix.OfferSaved(offer(fmt.Sprintf("o%02d", i), "Anglais", "84"), nil)
	}
	first, _ := ix.Search(Query{Text: "anglais", Limit: 45})
	var paged []string
	q := Query{Text: "anglais", Limit: 20}
	for {
		r, err := ix.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, ids(r)...)
		if r.Next == "" {
			break
		}
		q.After = r.Next
	}
	if diff := cmp.Diff(ids(first), paged); diff != "" {
		t.Errorf("pages differ from one long page (-want +got):\n%s", diff)
	}
	if _, err := ix.Search(Query{After: "???"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
}

func TestRemovalAndCounts(t *testing.T) {
	ix := New()
	ix.OfferSaved(offer("a", "Anglais", "84"), nil)
	ix.OfferSaved(offer("b", "Anglais", "11"), nil)
	moved := offer("a", "Anglais", "11")
	ix.OfferSaved(moved, nil)
	if diff := cmp.Diff(map[string]int{"11": 2}, ix.RegionCounts()); diff != "" {
		t.Errorf("after a move: %s", diff)
	}
	unpublished := moved
	unpublished.Status = marketplace.Unpublished
	ix.OfferSaved(unpublished, nil)
	ix.OfferDeleted("b")
	ix.OfferDeleted("never-there")
	if ix.Len() != 0 || len(ix.RegionCounts()) != 0 || len(ix.Certifications()) != 0 {
		t.Errorf("index not empty: %d offers, %v, %v", ix.Len(), ix.RegionCounts(), ix.Certifications())
	}
}
