package ingest

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/parcours/parcours/skills"
)

// ImportOutcomes imports the France Travail open data on return to
// employment after a training ("taux de retour à l'emploi des demandeurs
// d'emploi formés"): one row per Formacode domain, area and year, at the
// scale of the employment area (bassin), department, region or country.
// Columns: annee, type_territoire, code_territoire, formacode,
// libelle_formacode, nb_sortants, taux_retour_emploi (a percentage, "56,3";
// empty, "s" or "nd" where France Travail suppresses cells under 60
// people leaving training).
func ImportOutcomes(ctx context.Context, g skills.Graph, sources []Source, opts Options) (*Report, error) {
	f := format{kind: "outcomes", roles: []role{{
		name:     "taux_retour_emploi",
		ident:    []string{"formacode", "type_territoire"},
		required: []string{"annee", "type_territoire", "code_territoire", "formacode", "nb_sortants", "taux_retour_emploi"},
		row: func(_ context.Context, j *job) error {
			o := skills.Outcome{Formacode: j.t.get("formacode"), Label: j.t.get("libelle_formacode"), Area: j.t.get("code_territoire")}
			if len(o.Formacode) != 5 || !ogrCode.MatchString(o.Formacode) {
				return j.bad("formacode %q is not a 5-digit Formacode", o.Formacode)
			}
			year, err := strconv.Atoi(j.t.get("annee"))
			if err != nil || year < 2000 || year > 2100 {
				return j.bad("annee %q is not a year", j.t.get("annee"))
			}
			o.Year = year
			switch k := strings.ToLower(j.t.get("type_territoire")); k {
			case "bassin", "be", "bassin d'emploi", "bassin_emploi":
				o.AreaKind = skills.AreaBassin
			case "departement", "département", "dep":
				o.AreaKind = skills.AreaDepartment
			case "region", "région", "reg":
				o.AreaKind = skills.AreaRegion
			case "national", "france", "nat":
				o.AreaKind, o.Area = skills.AreaNational, "FR"
			default:
				return j.bad("type_territoire %q is not bassin, departement, region or national", j.t.get("type_territoire"))
			}
			if o.Area == "" {
				return j.bad("code_territoire is empty")
			}
			if o.Leavers, err = count(j.t.get("nb_sortants")); err != nil {
				return j.bad("nb_sortants %q is not a count", j.t.get("nb_sortants"))
			}
			switch raw := strings.ToLower(j.t.get("taux_retour_emploi")); raw {
			case "", "s", "nd", "n.d.", "secret":
				o.Suppressed = true
			default:
				rate, err := strconv.ParseFloat(strings.TrimSuffix(strings.ReplaceAll(raw, ",", "."), "%"), 64)
				if err != nil || rate < 0 || rate > 100 {
					return j.bad("taux_retour_emploi %q is not a percentage", j.t.get("taux_retour_emploi"))
				}
				o.RatePerMil = int(math.Round(rate * 10))
			}
			if err := j.once(o.Key()); err != nil {
				return err
			}
			j.batch.Outcomes = append(j.batch.Outcomes, o)
			return nil
		},
	}}}
	return runGraph(ctx, g, f, sources, opts)
}

// count reads a non-negative count; "*" and "" (suppressed) read as 0.
func count(s string) (int, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u00a0", "")
	if s == "" || s == "*" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

var bassinCol = regexp.MustCompile(`^be[0-9]{2}$`)

// ImportBMO imports the survey of hiring needs (enquête "Besoins en
// main-d'œuvre" of France Travail): per year, BMO occupation and
// employment area (bassin, column BE24 in 2024, BE25 in 2025...), the
// hiring projects (met), those judged difficult (xmet) and seasonal ones
// (smet). Values France Travail hides ("*") count as 0.
func ImportBMO(ctx context.Context, g skills.Graph, sources []Source, opts Options) (*Report, error) {
	f := format{kind: "bmo", roles: []role{{
		name:     "bmo",
		ident:    []string{"code_metier_bmo", "met"},
		required: []string{"annee", "code_metier_bmo", "nom_metier_bmo", "met", "xmet", "smet"},
		row: func(_ context.Context, j *job) error {
			var be, nombe string
			for name := range j.t.cols {
				if bassinCol.MatchString(name) {
					be = name
				}
			}
			if be == "" {
				return j.bad("no employment area column (BE24, BE25...)")
			}
			nombe = "nom" + be
			h := skills.Hiring{Job: j.t.get("code_metier_bmo"), JobLabel: j.t.get("nom_metier_bmo"), Area: j.t.get(be),
				AreaLabel: j.t.get(nombe), Region: j.t.get("reg")}
			year, err := strconv.Atoi(j.t.get("annee"))
			if err != nil || year < 2000 || year > 2100 {
				return j.bad("annee %q is not a year", j.t.get("annee"))
			}
			h.Year = year
			if h.Job == "" || h.Area == "" {
				return j.bad("the BMO occupation code and the employment area are required")
			}
			for _, c := range []struct {
				col string
				v   *int
			}{{"met", &h.Projects}, {"xmet", &h.Difficult}, {"smet", &h.Seasonal}} {
				if *c.v, err = count(j.t.get(c.col)); err != nil {
					return j.bad("%s %q is not a count", c.col, j.t.get(c.col))
				}
			}
			if h.Difficult > h.Projects || h.Seasonal > h.Projects {
				return j.bad("xmet and smet cannot exceed met (%d)", h.Projects)
			}
			if err := j.once(h.Key()); err != nil {
				return err
			}
			j.batch.Hiring = append(j.batch.Hiring, h)
			return nil
		},
	}}}
	return runGraph(ctx, g, f, sources, opts)
}
