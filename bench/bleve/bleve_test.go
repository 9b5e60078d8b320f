package bleve

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/search/searchbench"
)

// doc is an offer as Bleve indexes it.
type doc struct {
	Title       string    `json:"title"`
	Cert        string    `json:"cert"`
	Skills      string    `json:"skills"`
	Description string    `json:"description"`
	Modality    string    `json:"modality"`
	Region      string    `json:"region"`
	Kind        string    `json:"kind"`
	Price       float64   `json:"price"`
	Hours       float64   `json:"hours"`
	Location    []float64 `json:"location"` // lon, lat
}

// indexMapping is Bleve configured as well as we can for the queries: the
// French analyser (elision, stop words, light stemmer) on the text
// fields, keywords for the filters, numbers for price and hours, a
// geopoint for the place; nothing stored but what is searched.
func indexMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Analyzer = fr.AnalyzerName
	text.Store, text.IncludeTermVectors, text.DocValues = false, false, false
	keyword := bleve.NewKeywordFieldMapping()
	keyword.Store = false
	num := bleve.NewNumericFieldMapping()
	num.Store = false
	geo := bleve.NewGeoPointFieldMapping()
	geo.Store = false
	m := bleve.NewDocumentStaticMapping()
	for _, f := range []string{"title", "cert", "skills", "description"} {
		m.AddFieldMappingsAt(f, text)
	}
	for _, f := range []string{"modality", "region", "kind"} {
		m.AddFieldMappingsAt(f, keyword)
	}
	m.AddFieldMappingsAt("price", num)
	m.AddFieldMappingsAt("hours", num)
	m.AddFieldMappingsAt("location", geo)
	im := bleve.NewIndexMapping()
	im.DefaultMapping = m
	im.DefaultAnalyzer = fr.AnalyzerName
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false
	return im
}

var benchIndex bleve.Index

// build indexes the published offers into a Scorch index (Bleve's default
// and fastest engine) in a temporary directory: the page cache holds it,
// and Bleve's own in-memory store (NewMemOnly, upsidedown on a treap) is
// many times slower to fill and to query.
func build(tb testing.TB) (bleve.Index, time.Duration) {
	offers, _ := searchbench.Published()
	dir, err := os.MkdirTemp("", "bleve-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	ix, err := bleve.New(filepath.Join(dir, "index"), indexMapping())
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	batch := ix.NewBatch()
	for _, o := range offers {
		d := doc{
			Title: o.Title, Cert: o.Certification.Title + " " + o.Certification.Code, Skills: strings.Join(o.Skills, " ; "),
			Description: o.Description + "\n" + o.Objectives, Modality: string(o.Modality), Region: o.Region,
			Kind: string(o.Certification.Kind), Price: float64(o.PriceCents), Hours: float64(o.Hours), Location: []float64{o.Lon, o.Lat},
		}
		if err := batch.Index(o.ID, d); err != nil {
			tb.Fatal(err)
		}
		if batch.Size() >= 1000 {
			if err := ix.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch = ix.NewBatch()
		}
	}
	if err := ix.Batch(batch); err != nil {
		tb.Fatal(err)
	}
	return ix, time.Since(start)
}

// BenchmarkBleveIndexBuild indexes the published offers of the
// 300,000-offer catalogue in batches of 1,000.
func BenchmarkBleveIndexBuild(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ix, took := build(b)
		b.ReportMetric(took.Seconds(), "build-s")
		runtime.GC()
		runtime.ReadMemStats(&after)
		n, _ := ix.DocCount()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/offer")
		b.ReportMetric(dirSize(ix)/float64(n), "disk-B/offer")
		b.ReportMetric(float64(n), "offers")
		ix.Close()
	}
}

// request turns a Parcours query into the Bleve request that asks the
// same: every word in one of the fields (title, certification and skills
// boosted three times over the description), the place as a geo distance
// query, the filters as term and range queries, the first 20 hits by
// score, and the same facets.
func request(q search.Query) *bleve.SearchRequest {
	var must []query.Query
	for _, w := range strings.Fields(q.Text) {
		var any []query.Query
		for f, boost := range map[string]float64{"title": 3, "cert": 3, "skills": 3, "description": 1} {
			mq := bleve.NewMatchQuery(w)
			mq.SetField(f)
			mq.SetBoost(boost)
			any = append(any, mq)
		}
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	if q.Near != nil {
		g := bleve.NewGeoDistanceQuery(q.Near.Lon, q.Near.Lat, ftoa(q.RadiusKm)+"km")
		g.SetField("location")
		must = append(must, g)
	}
	if q.Modality != "" {
		t := bleve.NewTermQuery(string(q.Modality))
		t.SetField("modality")
		must = append(must, t)
	}
	if q.Region != "" {
		t := bleve.NewTermQuery(q.Region)
		t.SetField("region")
		must = append(must, t)
	}
	incl := true
	if q.PriceMaxCents != nil {
		mx := float64(*q.PriceMaxCents)
		r := bleve.NewNumericRangeInclusiveQuery(nil, &mx, nil, &incl)
		r.SetField("price")
		must = append(must, r)
	}
	if q.HoursMax > 0 {
		mx := float64(q.HoursMax)
		r := bleve.NewNumericRangeInclusiveQuery(nil, &mx, nil, &incl)
		r.SetField("hours")
		must = append(must, r)
	}
	var qq query.Query = bleve.NewMatchAllQuery()
	if len(must) > 0 {
		qq = bleve.NewConjunctionQuery(must...)
	}
	req := bleve.NewSearchRequestOptions(qq, 20, 0, false)
	req.AddFacet("modality", bleve.NewFacetRequest("modality", 3))
	req.AddFacet("region", bleve.NewFacetRequest("region", 20))
	req.AddFacet("kind", bleve.NewFacetRequest("kind", 2))
	price := bleve.NewFacetRequest("price", 5)
	hours := bleve.NewFacetRequest("hours", 4)
	bounds := func(f *bleve.FacetRequest, unit float64, bs ...float64) {
		for i, lo := range bs {
			l := lo * unit
			if i+1 < len(bs) {
				h := bs[i+1] * unit
				f.AddNumericRange(ftoa(lo), &l, &h)
			} else {
				f.AddNumericRange(ftoa(lo), &l, nil)
			}
		}
	}
	bounds(price, 100, 0, 500, 1000, 2000, 5000)
	bounds(hours, 1, 0, 35, 100, 400)
	req.AddFacet("price", price)
	req.AddFacet("hours", hours)
	return req
}

// dirSize returns the bytes of the index's files.
func dirSize(ix bleve.Index) float64 {
	var n int64
	filepath.Walk(ix.Name(), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return float64(n)
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// BenchmarkBleveSearch runs the query mix of the Parcours benchmark and
// reports the median and 99th percentile latency of each kind.
func BenchmarkBleveSearch(b *testing.B) {
	if benchIndex == nil {
		benchIndex, _ = build(b)
	}
	for _, kind := range searchbench.Kinds {
		qs := searchbench.Queries(kind, 240)
		reqs := make([]*bleve.SearchRequest, len(qs))
		for i, q := range qs {
			reqs[i] = request(q)
		}
		b.Run(kind, func(b *testing.B) {
			var took []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				res, err := benchIndex.Search(reqs[i%len(reqs)])
				took = append(took, time.Since(start))
				if err != nil || (kind != searchbench.Text100Filters && res.Total == 0) {
					b.Fatalf("%+v: %v", qs[i%len(qs)], err)
				}
				i++
			}
			slices.Sort(took)
			pct := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
