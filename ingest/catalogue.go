package ingest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// CatalogueCertificate is the Qualiopi certificate number given to the
// providers an import of the CPF catalogue creates. Only Qualiopi-certified
// providers may be in that catalogue (law of 5 September 2018, in force
// since 2022), so presence in an extract is proof of certification at its
// date; the certificate is valid CatalogueValidity after the extract, so
// that a provider missing from later extracts lapses and its offers are
// withdrawn by the daily check.
const (
	CatalogueCertificate = "catalogue-cpf"
	CatalogueCertifier   = "Caisse des Dépôts (catalogue CPF)"
	CatalogueValidity    = 30 * 24 * time.Hour
)

// idSpace makes the IDs of imported records: the same row always gives the
// same ID, so that re-importing a file finds the records it wrote.
var idSpace = uuid.MustParse("6f0c1d2e-9a57-4c1b-8f4e-5d3b2a190c77")

// ProviderID is the ID an import gives the provider of a SIRET.
func ProviderID(siret string) string {
	return uuid.NewSHA1(idSpace, []byte("provider:"+siret)).String()
}

// OfferID is the ID an import gives a catalogue row: one training
// (numero_formation) of one provider (SIRET) in one department, since the
// open-data extract has one row per training and department.
func OfferID(siret, numeroFormation, department string) string {
	return uuid.NewSHA1(idSpace, []byte("offer:"+siret+":"+numeroFormation+":"+department)).String()
}

// catalogueColumns are the columns the importer needs; the extract has more.
var catalogueColumns = []string{
	"date_extract", "nom_of", "type_referentiel", "code_inventaire", "code_rncp", "intitule_certification",
	"siret", "numero_formation", "intitule_formation", "nb_session_active", "nb_session_a_distance",
	"nombre_heures_total_mean", "frais_ttc_tot_mean", "code_departement",
}

// ImportCatalogue imports the CPF catalogue open-data extract (Caisse des
// Dépôts, ";"-separated) into the marketplace: one provider per SIRET and
// one offer per training and department. The extract gives no commune: an
// offer is placed in the most populous commune of its department. An offer
// is published when the extract lists active sessions (nb_session_active
// or nb_session_a_distance above 0), a draft otherwise. A provider that
// already exists with the same SIRET keeps its record and ID (its own
// Qualiopi certificate, its NDA); a provider the import created has its
// certificate renewed by each newer extract. Rows whose records are already
// stored as they are count as unchanged and are not written again.
func ImportCatalogue(ctx context.Context, cat *marketplace.CatalogueService, places *geo.Gazetteer, sources []Source, opts Options) (*Report, error) {
	start := opts.now()
	rep := &Report{Kind: "catalogue"}
	prog := newProgress(opts, sources)
	defer prog.finish()
	store := cat.Store()
	providers, err := providersBySIRET(ctx, store)
	if err != nil {
		return rep, err
	}
	im := &catalogueImport{store: store, cat: cat, places: places, providers: providers, chef: biggestCommunes(places)}
	for _, s := range sources {
		fr := &FileReport{File: s.Name, Table: "catalogue CPF"}
		rep.Files = append(rep.Files, fr)
		t, err := openTable(s.Name, counter{r: s.R, p: prog})
		if err != nil {
			fr.Err = err.Error()
			continue
		}
		fr.Encoding = t.enc
		if err := t.require(catalogueColumns...); err != nil {
			fr.Err = err.Error()
			continue
		}
		prog.file = s.Name
		im.rep = fr
		j := &job{t: t, rep: fr, prog: prog}
		err = readRows(ctx, j, func(ctx context.Context, j *job) error {
			if err := im.row(ctx, j); err != nil {
				return err
			}
			if len(im.batch.Offers)+len(im.batch.Providers) >= flushAt {
				return im.flush(ctx)
			}
			return nil
		})
		if err == nil {
			err = im.flush(ctx)
		}
		if err != nil {
			return rep, err
		}
	}
	rep.Duration = opts.now().Sub(start)
	return rep, nil
}

type catalogueImport struct {
	store     marketplace.Store
	cat       *marketplace.CatalogueService
	places    *geo.Gazetteer
	providers map[string]marketplace.Provider // by SIRET, as stored or about to be
	chef      map[string]string               // department -> most populous commune
	rep       *FileReport
	batch     marketplace.Catalogue
	pending   map[string]int // offer ID -> index in batch.Offers
}

func (im *catalogueImport) flush(ctx context.Context) error {
	if len(im.batch.Offers)+len(im.batch.Providers) == 0 {
		return nil
	}
	if err := im.cat.Load(ctx, im.batch); err != nil {
		return fmt.Errorf("%s: writing to the store: %w", im.rep.File, err)
	}
	im.batch, im.pending = marketplace.Catalogue{}, nil
	return nil
}

func providersBySIRET(ctx context.Context, store marketplace.Store) (map[string]marketplace.Provider, error) {
	out := map[string]marketplace.Provider{}
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		ps, next, err := store.Providers(ctx, page)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out[p.SIRET] = p
		}
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}

// biggestCommunes maps each department to its most populous commune.
func biggestCommunes(places *geo.Gazetteer) map[string]string {
	best := map[string]geo.Commune{}
	for _, c := range places.Communes() {
		if b, ok := best[c.Department]; !ok || c.Population > b.Population {
			best[c.Department] = c
		}
	}
	out := make(map[string]string, len(best))
	for d, c := range best {
		out[d] = c.INSEE
	}
	return out
}

// decimal reads a French or English decimal number ("1 234,50", "1234.5").
func decimal(s string) (float64, error) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", ",", ".").Replace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, strconv.ErrSyntax
	}
	return f, nil
}

func (im *catalogueImport) row(ctx context.Context, j *job) error {
	t := j.t
	day, err := time.Parse("2006-01-02", t.get("date_extract"))
	if err != nil {
		return j.bad("date_extract %q is not a date (YYYY-MM-DD)", t.get("date_extract"))
	}
	siret := strings.ReplaceAll(t.get("siret"), " ", "")
	if !marketplace.ValidSIRET(siret) {
		return j.bad("siret %q is not 14 digits with a valid check digit", t.get("siret"))
	}
	if t.get("nom_of") == "" {
		return j.bad("nom_of is empty")
	}
	var raw string
	switch strings.ToUpper(t.get("type_referentiel")) {
	case "RNCP":
		raw = "RNCP" + t.get("code_rncp")
	case "RS":
		raw = "RS" + t.get("code_inventaire")
	default:
		return j.bad("type_referentiel %q: only RNCP and RS certifications are marketplace offers", t.get("type_referentiel"))
	}
	kind, code, ok := marketplace.ParseCertificationCode(raw)
	if !ok {
		return j.bad("certification code %q is not RNCP or RS followed by digits", raw)
	}
	numero := t.get("numero_formation")
	if numero == "" {
		return j.bad("numero_formation is empty")
	}
	dept := strings.ToUpper(t.get("code_departement"))
	if len(dept) == 1 {
		dept = "0" + dept
	}
	commune, ok := im.chef[dept]
	if !ok {
		return j.bad("code_departement %q is not a French department", t.get("code_departement"))
	}
	hours, err := decimal(t.get("nombre_heures_total_mean"))
	if err != nil {
		return j.bad("nombre_heures_total_mean %q is not a number", t.get("nombre_heures_total_mean"))
	}
	euros, err := decimal(t.get("frais_ttc_tot_mean"))
	if err != nil {
		return j.bad("frais_ttc_tot_mean %q is not a number", t.get("frais_ttc_tot_mean"))
	}
	active, err1 := count(t.get("nb_session_active"))
	remote, err2 := count(t.get("nb_session_a_distance"))
	if err1 != nil || err2 != nil {
		return j.bad("nb_session_active and nb_session_a_distance must be counts")
	}
	level := 0
	if kind == marketplace.RNCP {
		if n, err := strconv.Atoi(digits.FindString(t.get("libelle_niveau_sortie_formation"))); err == nil && n >= 1 && n <= 8 {
			level = n
		}
	}

	// The provider, written only if the row is good.
	p, known := im.providers[siret]
	fresh := marketplace.Qualiopi{Certificate: CatalogueCertificate, Certifier: CatalogueCertifier, ValidUntil: day.Add(CatalogueValidity)}
	writeProvider := false
	switch {
	case !known:
		p = marketplace.Provider{ID: ProviderID(siret), SIRET: siret, Name: t.get("nom_of"), Qualiopi: fresh, Commune: commune,
			CreatedAt: day, UpdatedAt: day}
		writeProvider = true
	case p.Qualiopi.Certificate == CatalogueCertificate && p.Qualiopi.ValidUntil.Before(fresh.ValidUntil):
		p.Qualiopi, p.UpdatedAt = fresh, later(day, p.UpdatedAt)
		writeProvider = true
	}

	// The offer.
	modality := marketplace.InPerson
	switch {
	case remote > 0 && remote >= active:
		modality = marketplace.Distance
	case remote > 0:
		modality = marketplace.Mixed
	}
	status := marketplace.Draft
	if active > 0 || remote > 0 {
		status = marketplace.Published
	}
	o := marketplace.Offer{
		ID: OfferID(siret, numero, dept), ProviderID: p.ID,
		Certification: marketplace.Certification{Kind: kind, Code: code, Title: t.get("intitule_certification"), Level: level},
		Title:         t.get("intitule_formation"), Description: t.get("points_forts"),
		Skills:     []string{},
		PriceCents: int64(math.Round(euros * 100)), Hours: int(math.Round(hours)), Modality: modality, Commune: commune,
		Status: status,
	}
	if l := t.get("libelle_code_formacode_principal"); l != "" {
		o.Skills = []string{l}
	}
	if err := o.Validate(func(insee string) bool { _, ok := im.places.Commune(insee); return ok }); err != nil {
		var v *marketplace.ValidationError
		if errors.As(err, &v) {
			return j.bad("%s", strings.TrimPrefix(v.Error(), "invalid input: "))
		}
		return err
	}
	o.Department, o.Region, o.Lat, o.Lon, _ = placeOf(im.places, commune)
	if err := j.once(o.ID); err != nil {
		return err
	}
	if writeProvider {
		im.batch.Providers = append(im.batch.Providers, p)
		im.providers[siret] = p
		im.rep.Imported++
	}

	old, err := im.store.Offer(ctx, o.ID)
	switch {
	case errors.Is(err, marketplace.ErrNotFound):
		o.CreatedAt, o.UpdatedAt = day, day
	case err != nil:
		return err
	default:
		if sameOffer(old, o) {
			im.rep.Unchanged++
			return nil
		}
		o.CreatedAt, o.UpdatedAt = old.CreatedAt, later(day, old.UpdatedAt)
	}
	if i, dup := im.pending[o.ID]; dup {
		im.batch.Offers[i] = o
		return nil
	}
	if im.pending == nil {
		im.pending = map[string]int{}
	}
	im.pending[o.ID] = len(im.batch.Offers)
	im.batch.Offers = append(im.batch.Offers, o)
	im.rep.Imported++
	return nil
}

// later returns t, or a millisecond after prev when t is not after it, so
// that UpdatedAt keeps working as a version.
func later(t, prev time.Time) time.Time {
	if !t.After(prev) {
		return prev.Add(time.Millisecond)
	}
	return t
}

func placeOf(places *geo.Gazetteer, insee string) (dept, region string, lat, lon float64, ok bool) {
	c, ok := places.Commune(insee)
	return c.Department, c.Region, c.Lat, c.Lon, ok
}

// sameOffer compares what an import writes, not the timestamps.
func sameOffer(a, b marketplace.Offer) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(a.Skills) == 0 && len(b.Skills) == 0 {
		a.Skills, b.Skills = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
