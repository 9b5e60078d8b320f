package ingest

import (
	"cmp"
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

var (
	romeCode = regexp.MustCompile(`^[A-N][0-9]{4}$`)
	ogrCode  = regexp.MustCompile(`^[0-9]{1,9}$`)
)

// ImportROME imports the ROME 4.0 referential of France Travail: the
// occupations (unix_referentiel_code_rome), the skills
// (unix_referentiel_competence, and unix_referentiel_savoir for
// knowledge), the links between them (unix_liens_rome_referentiels) and the
// job titles (unix_referentiel_appellation), which become the occupations'
// other labels. A link is essential unless a coeur_metier column says
// otherwise.
func ImportROME(ctx context.Context, g skills.Graph, sources []Source, opts Options) (*Report, error) {
	occs := map[string]*skills.Occupation{}
	alt := map[string][]string{}
	skill := func(kind, labelCol string) func(context.Context, *job) error {
		return func(_ context.Context, j *job) error {
			code, label := j.t.get("code_ogr"), j.t.get(labelCol)
			if !ogrCode.MatchString(code) {
				return j.bad("code_ogr %q is not an OGR code (digits)", code)
			}
			if label == "" {
				return j.bad("%s is empty", labelCol)
			}
			if err := j.once(code); err != nil {
				return err
			}
			k := kind
			if t := cmp.Or(j.t.get("libelle_type_competence"), j.t.get("type_competence")); t != "" {
				k = strings.ToLower(t)
			}
			j.batch.Skills = append(j.batch.Skills, skills.Skill{ID: "rome:" + code, Label: label, Kind: k})
			return nil
		}
	}
	f := format{kind: "rome", roles: []role{
		{name: "unix_referentiel_code_rome", ident: []string{"code_rome", "libelle_rome"}, required: []string{"code_rome", "libelle_rome"},
			row: func(_ context.Context, j *job) error {
				code, label := j.t.get("code_rome"), j.t.get("libelle_rome")
				if !romeCode.MatchString(code) {
					return j.bad("code_rome %q is not a ROME code (a letter A-N and 4 digits)", code)
				}
				if label == "" {
					return j.bad("libelle_rome is empty")
				}
				if err := j.once(code); err != nil {
					return err
				}
				occs[code] = &skills.Occupation{ID: code, Label: label, Domain: code[:3]}
				return nil
			}},
		{name: "unix_referentiel_competence", ident: []string{"code_ogr", "libelle_competence"}, required: []string{"code_ogr", "libelle_competence"},
			row: skill("savoir-faire", "libelle_competence")},
		{name: "unix_referentiel_savoir", ident: []string{"code_ogr", "libelle_savoir"}, required: []string{"code_ogr", "libelle_savoir"},
			row: skill("savoir", "libelle_savoir")},
		{name: "unix_referentiel_appellation", ident: []string{"code_ogr", "code_rome", "libelle_appellation_long"},
			required: []string{"code_rome", "libelle_appellation_long"},
			row: func(_ context.Context, j *job) error {
				code, label := j.t.get("code_rome"), j.t.get("libelle_appellation_long")
				if !romeCode.MatchString(code) {
					return j.bad("code_rome %q is not a ROME code (a letter A-N and 4 digits)", code)
				}
				if label == "" {
					return j.bad("libelle_appellation_long is empty")
				}
				alt[code] = append(alt[code], label)
				return nil
			}},
		{name: "unix_liens_rome_referentiels", ident: []string{"code_rome", "code_ogr"}, required: []string{"code_rome", "code_ogr"},
			row: func(_ context.Context, j *job) error {
				code, ogr := j.t.get("code_rome"), j.t.get("code_ogr")
				if !romeCode.MatchString(code) {
					return j.bad("code_rome %q is not a ROME code (a letter A-N and 4 digits)", code)
				}
				if !ogrCode.MatchString(ogr) {
					return j.bad("code_ogr %q is not an OGR code (digits)", ogr)
				}
				essential := true
				if j.t.has("coeur_metier") {
					essential = truthy(j.t.get("coeur_metier")) || strings.EqualFold(j.t.get("coeur_metier"), "principale")
				}
				if err := j.once(code + " " + ogr); err != nil {
					return err
				}
				j.batch.Edges = append(j.batch.Edges, skills.Edge{Rel: skills.Requires, From: code, To: "rome:" + ogr, Essential: essential})
				return nil
			}},
	}}
	// Occupations are written once every file is read, with their job
	// titles, so that re-importing writes each occupation once, unchanged.
	f.finish = func(ctx context.Context, j *job, reports map[string]*FileReport) error {
		var b skills.Batch
		target := reports["unix_referentiel_code_rome"]
		for code, labels := range alt {
			o, ok := occs[code]
			if !ok {
				v, err := g.Occupation(ctx, code)
				if errors.Is(err, skills.ErrNotFound) {
					continue
				} else if err != nil {
					return err
				}
				o = &v.Occupation
				occs[code] = o
				target = cmp.Or(target, reports["unix_referentiel_appellation"])
			}
			slices.Sort(labels)
			o.AltLabels = slices.Compact(labels)
		}
		if _, ok := reports["unix_referentiel_appellation"]; !ok {
			// Without the job titles in this import, keep those held.
			for code, o := range occs {
				if v, err := g.Occupation(ctx, code); err == nil {
					o.AltLabels = v.Occupation.AltLabels
				}
			}
		}
		for _, o := range occs {
			b.Occupations = append(b.Occupations, *o)
		}
		slices.SortFunc(b.Occupations, func(a, b skills.Occupation) int { return cmp.Compare(a.ID, b.ID) })
		return finishInto(ctx, j, target, b)
	}
	return runGraph(ctx, g, f, sources, opts)
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "o", "oui", "y", "yes", "true", "vrai", "active", "actif", "x":
		return true
	}
	return false
}

var digits = regexp.MustCompile(`[0-9]+`)

// ImportRNCP imports the registry export of France Compétences (RNCP and
// RS): the Standard table (one row per certification), Formacode,
// Certificateurs, Rome (the occupations a certification prepares for) and
// Blocs_De_Compétences. A block of competences whose label is the label of
// a skill already in the graph (from ROME or ESCO) teaches that skill;
// otherwise the block becomes a skill of its own, of kind "bloc". Import
// the occupations and skills first, and the export's tables together:
// Formacode and Certificateurs complete the Standard rows of the same
// import.
func ImportRNCP(ctx context.Context, g skills.Graph, sources []Source, opts Options) (*Report, error) {
	certs := map[string]*skills.Certification{}
	fiche := func(j *job) (string, error) {
		_, code, ok := marketplace.ParseCertificationCode(j.t.get("numero_fiche"))
		if !ok {
			return "", j.bad("Numero_Fiche %q is not RNCP or RS followed by digits", j.t.get("numero_fiche"))
		}
		return code, nil
	}
	inStandard := func(j *job) (*skills.Certification, error) {
		code, err := fiche(j)
		if err != nil {
			return nil, err
		}
		c, ok := certs[code]
		if !ok {
			return nil, j.bad("Numero_Fiche %s is not in the Standard table of this import", code)
		}
		return c, nil
	}
	f := format{kind: "rncp", roles: []role{
		{name: "Standard", ident: []string{"numero_fiche", "intitule"}, required: []string{"numero_fiche", "intitule"},
			row: func(_ context.Context, j *job) error {
				code, err := fiche(j)
				if err != nil {
					return err
				}
				title := j.t.get("intitule")
				if title == "" {
					return j.bad("Intitule is empty")
				}
				level := 0
				if raw := j.t.get("nomenclature_europe_niveau"); raw != "" {
					n, err := strconv.Atoi(digits.FindString(raw))
					if err != nil || n < 1 || n > 8 {
						return j.bad("Nomenclature_Europe_Niveau %q is not a European level 1 to 8 (NIV5)", raw)
					}
					level = n
				}
				if err := j.once(code); err != nil {
					return err
				}
				active := true
				if j.t.has("actif") {
					active = truthy(j.t.get("actif"))
				}
				certs[code] = &skills.Certification{Code: code, Title: title, Level: level, Active: active}
				return nil
			}},
		{name: "Formacode", ident: []string{"numero_fiche", "formacode_code"}, required: []string{"numero_fiche", "formacode_code"},
			row: func(_ context.Context, j *job) error {
				c, err := inStandard(j)
				if err != nil {
					return err
				}
				fc := j.t.get("formacode_code")
				if len(fc) != 5 || !ogrCode.MatchString(fc) {
					return j.bad("Formacode_Code %q is not a 5-digit Formacode", fc)
				}
				c.Formacodes = append(c.Formacodes, fc)
				return nil
			}},
		{name: "Certificateurs", ident: []string{"numero_fiche", "nom_certificateur"}, required: []string{"numero_fiche", "nom_certificateur"},
			row: func(_ context.Context, j *job) error {
				c, err := inStandard(j)
				if err != nil {
					return err
				}
				name := j.t.get("nom_certificateur")
				if name == "" {
					return j.bad("Nom_Certificateur is empty")
				}
				c.Certifiers = append(c.Certifiers, name)
				return nil
			}},
		{name: "Rome", ident: []string{"numero_fiche", "codes_rome_code"}, required: []string{"numero_fiche", "codes_rome_code"},
			row: func(_ context.Context, j *job) error {
				code, err := fiche(j)
				if err != nil {
					return err
				}
				rome := j.t.get("codes_rome_code")
				if !romeCode.MatchString(rome) {
					return j.bad("Codes_Rome_Code %q is not a ROME code (a letter A-N and 4 digits)", rome)
				}
				if err := j.once(code + " " + rome); err != nil {
					return err
				}
				j.batch.Edges = append(j.batch.Edges, skills.Edge{Rel: skills.Prepares, From: code, To: rome})
				return nil
			}},
		{name: "Blocs_De_Compétences", ident: []string{"numero_fiche", "bloc_competences_code"},
			required: []string{"numero_fiche", "bloc_competences_code", "bloc_competences_libelle"},
			row: func(ctx context.Context, j *job) error {
				code, err := fiche(j)
				if err != nil {
					return err
				}
				bloc, label := j.t.get("bloc_competences_code"), j.t.get("bloc_competences_libelle")
				if bloc == "" || label == "" {
					return j.bad("Bloc_Competences_Code and Bloc_Competences_Libelle are required")
				}
				if err := j.once(strings.ToUpper(bloc)); err != nil {
					return err
				}
				known, err := g.SkillsByLabel(ctx, label)
				if err != nil {
					return err
				}
				var ids []string
				for _, s := range known {
					if !strings.HasPrefix(s.ID, "rncp:") {
						ids = append(ids, s.ID)
					}
				}
				if len(ids) == 0 {
					id := "rncp:" + strings.ToUpper(fold.String(bloc))
					id = strings.ReplaceAll(id, " ", "")
					j.batch.Skills = append(j.batch.Skills, skills.Skill{ID: id, Label: label, Kind: "bloc"})
					ids = []string{id}
				}
				for _, id := range ids {
					j.batch.Edges = append(j.batch.Edges, skills.Edge{Rel: skills.Teaches, From: code, To: id})
				}
				return nil
			}},
	}}
	f.finish = func(ctx context.Context, j *job, reports map[string]*FileReport) error {
		var b skills.Batch
		for _, c := range certs {
			slices.Sort(c.Formacodes)
			c.Formacodes = slices.Compact(c.Formacodes)
			slices.Sort(c.Certifiers)
			c.Certifiers = slices.Compact(c.Certifiers)
			b.Certifications = append(b.Certifications, *c)
		}
		slices.SortFunc(b.Certifications, func(a, b skills.Certification) int { return cmp.Compare(a.Code, b.Code) })
		return finishInto(ctx, j, reports["Standard"], b)
	}
	return runGraph(ctx, g, f, sources, opts)
}

const escoBase = "http://data.europa.eu/esco/"

// escoID turns an ESCO concept URI into a graph ID:
// http://data.europa.eu/esco/skill/0a1b... becomes esco:skill:0a1b...
func escoID(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, escoBase)
	if !ok || rest == "" || strings.ContainsAny(rest, " \t\n") {
		return "", false
	}
	return "esco:" + strings.ReplaceAll(rest, "/", ":"), true
}

// lines splits ESCO's altLabels, one label per line.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ImportESCO imports the ESCO v1.2 classification in its CSV form (comma
// separated, one file per table, in one language): occupations_fr.csv,
// skills_fr.csv, occupationSkillRelations_fr.csv (essential or optional),
// skillSkillRelations_fr.csv (related skills) and
// broaderRelationsSkillPillar_fr.csv (the skills hierarchy).
func ImportESCO(ctx context.Context, g skills.Graph, sources []Source, opts Options) (*Report, error) {
	uri := func(j *job, col string) (string, error) {
		id, ok := escoID(j.t.get(col))
		if !ok {
			return "", j.bad("%s %q is not an ESCO URI (%s...)", col, j.t.get(col), escoBase)
		}
		return id, nil
	}
	f := format{kind: "esco", roles: []role{
		{name: "occupations", ident: []string{"concepturi", "preferredlabel", "iscogroup"}, required: []string{"concepturi", "preferredlabel", "iscogroup"},
			row: func(_ context.Context, j *job) error {
				id, err := uri(j, "conceptUri")
				if err != nil {
					return err
				}
				label := j.t.get("preferredlabel")
				if label == "" {
					return j.bad("preferredLabel is empty")
				}
				if err := j.once(id); err != nil {
					return err
				}
				j.batch.Occupations = append(j.batch.Occupations, skills.Occupation{ID: id, Label: label, Domain: j.t.get("iscogroup"), AltLabels: lines(j.t.get("altlabels"))})
				return nil
			}},
		{name: "skills", ident: []string{"concepturi", "preferredlabel", "skilltype"}, required: []string{"concepturi", "preferredlabel", "skilltype"},
			row: func(_ context.Context, j *job) error {
				id, err := uri(j, "conceptUri")
				if err != nil {
					return err
				}
				label := j.t.get("preferredlabel")
				if label == "" {
					return j.bad("preferredLabel is empty")
				}
				if err := j.once(id); err != nil {
					return err
				}
				j.batch.Skills = append(j.batch.Skills, skills.Skill{ID: id, Label: label, Kind: j.t.get("skilltype"), AltLabels: lines(j.t.get("altlabels"))})
				return nil
			}},
		{name: "occupationSkillRelations", ident: []string{"occupationuri", "skilluri", "relationtype"}, required: []string{"occupationuri", "skilluri", "relationtype"},
			row: func(_ context.Context, j *job) error {
				occ, err := uri(j, "occupationUri")
				if err != nil {
					return err
				}
				sk, err := uri(j, "skillUri")
				if err != nil {
					return err
				}
				rt := strings.ToLower(j.t.get("relationtype"))
				if rt != "essential" && rt != "optional" {
					return j.bad("relationType %q is neither essential nor optional", j.t.get("relationtype"))
				}
				if err := j.once(occ + " " + sk); err != nil {
					return err
				}
				j.batch.Edges = append(j.batch.Edges, skills.Edge{Rel: skills.Requires, From: occ, To: sk, Essential: rt == "essential"})
				return nil
			}},
		{name: "skillSkillRelations", ident: []string{"originalskilluri", "relatedskilluri"}, required: []string{"originalskilluri", "relatedskilluri"},
			row: func(_ context.Context, j *job) error {
				a, err := uri(j, "originalSkillUri")
				if err != nil {
					return err
				}
				b, err := uri(j, "relatedSkillUri")
				if err != nil {
					return err
				}
				if a == b {
					return j.bad("a skill related to itself")
				}
				if err := j.once(a + " " + b); err != nil {
					return err
				}
				j.batch.Edges = append(j.batch.Edges, skills.Edge{Rel: skills.Related, From: a, To: b})
				return nil
			}},
		{name: "broaderRelationsSkillPillar", ident: []string{"concepturi", "broaderuri"}, required: []string{"concepturi", "broaderuri"},
			row: func(_ context.Context, j *job) error {
				a, err := uri(j, "conceptUri")
				if err != nil {
					return err
				}
				b, err := uri(j, "broaderUri")
				if err != nil {
					return err
				}
				if a == b {
					return j.bad("a concept broader than itself")
				}
				if err := j.once(a + " " + b); err != nil {
					return err
				}
				j.batch.Edges = append(j.batch.Edges, skills.Edge{Rel: skills.Broader, From: a, To: b})
				return nil
			}},
	}}
	return runGraph(ctx, g, f, sources, opts)
}
