package controls

// Discrimination criteria of article 225-1 of the French penal code, as
// they show in training offers, their prerequisites and job posts:
// explicit conditions ("moins de 30 ans", "nationalité française exigée")
// and indirect wording ("jeune équipe dynamique", "bonne présentation
// exigée", a job title in one gender without "H/F"). Article 225-2 5°
// punishes making a training or a hiring conditional on one of them.
// Legitimate conditions are left alone: an age limit of an apprenticeship
// contract, "18 ans minimum", a work permit, a medical fitness check by
// the occupational physician, a post open to disabled workers.

// Criteria (Finding.Criterion), named after article 225-1.
const (
	CritAge         = "age"
	CritSex         = "sex"
	CritOrigin      = "origin"
	CritAppearance  = "physical_appearance"
	CritFamily      = "family_situation"
	CritPregnancy   = "pregnancy"
	CritHealth      = "health"
	CritDisability  = "disability"
	CritResidence   = "place_of_residence"
	CritSurname     = "surname"
	CritOrientation = "sexual_orientation"
	CritGender      = "gender_identity"
	CritOpinions    = "political_opinions"
	CritUnion       = "union_activity"
	CritReligion    = "religion"
	CritLanguage    = "language"
	CritEconomic    = "economic_vulnerability"
)

var critLabels = map[string]string{
	CritAge: "l’âge", CritSex: "le sexe", CritOrigin: "l’origine ou la nationalité", CritAppearance: "l’apparence physique",
	CritFamily: "la situation de famille", CritPregnancy: "la grossesse", CritHealth: "l’état de santé", CritDisability: "le handicap",
	CritResidence: "le lieu de résidence", CritSurname: "le patronyme", CritOrientation: "l’orientation sexuelle",
	CritGender: "l’identité de genre", CritOpinions: "les opinions politiques", CritUnion: "les activités syndicales",
	CritReligion: "la religion", CritLanguage: "la langue", CritEconomic: "la particulière vulnérabilité économique",
}

// CriterionLabel is a criterion's French name, for pages.
func CriterionLabel(c string) string {
	if l, ok := critLabels[c]; ok {
		return l
	}
	if l, ok := sectLabels[c]; ok {
		return l
	}
	return c
}

var sectLabels = map[string]string{
	SectPseudoTherapy: "pratique pseudo-thérapeutique", SectMedicalRupture: "rupture avec la médecine", SectEsoteric: "jargon ésotérique",
	SectSelfDev: "développement de soi", SectChain: "stages en chaîne", SectIsolation: "isolement", SectFasting: "jeûne ou substances",
	SectTitle: "titre non certifié", SectPricing: "tarification floue", "no_registered_certification": "sans certification enregistrée",
}

func discrimExplanation(c string, indirect bool) string {
	if indirect {
		return "Formulation indirecte pouvant écarter des personnes en raison de " + critLabels[c] + " (article 225-1 du code pénal) : à reformuler sur les compétences attendues."
	}
	return "Condition fondée sur " + critLabels[c] + ", critère de discrimination de l’article 225-1 du code pénal (puni par l’article 225-2 quand une formation ou une embauche y est subordonnée)."
}

// legitimate age contexts: apprenticeship and professionalisation
// contracts have legal age limits, some trainings a legal minimum age.
var ageUnless = []string{"apprentissage", "apprenti", "professionnalisation", "alternance"}

func discrimPatterns() []pattern {
	d := func(c string, weight float64, raws ...string) []pattern {
		out := make([]pattern, len(raws))
		for i, r := range raws {
			out[i] = pattern{raw: r, criterion: c, weight: weight, explanation: discrimExplanation(c, false)}
		}
		return out
	}
	ind := func(c string, weight float64, raws ...string) []pattern {
		out := d(c, weight, raws...)
		for i := range out {
			out[i].explanation = discrimExplanation(c, true)
		}
		return out
	}
	var all []pattern
	age := d(CritAge, 0.8, "moins de # ans", "age maximum", "age maximal", "age limite", "ne* apres #", "entre # et # ans",
		"de # a # ans", "plus de # ans s abstenir", "senior* s abstenir", "pas de senior*", "trop age*", "# ans maximum", "# ans max",
		"agee* de moins de", "age* de moins de", "ans au plus")
	for i := range age {
		age[i].unless = ageUnless
	}
	all = append(all, age...)
	all = append(all, ind(CritAge, 0.3, "jeune equipe", "jeune* et dynamique*", "profil junior exclusivement", "jeune* diplome* uniquement", "digital native*")...)
	all = append(all, d(CritSex, 0.8, "uniquement des hommes", "uniquement des femmes", "reserve* aux hommes", "reserve* aux femmes",
		"profil feminin", "profil masculin", "candidat* masculin*", "candidate* feminine*", "femme* uniquement", "homme* uniquement",
		"pas de femme*", "pas d homme*", "sexe masculin", "sexe feminin", "une femme pour", "un homme pour", "recherch* .. femme pour",
		"recherch* .. homme pour", "femme* s abstenir", "homme* s abstenir")...)
	all = append(all, d(CritOrigin, 0.9, "nationalite francaise .. exig*", "nationalite francaise .. obligatoire", "nationalite francaise .. requise",
		"nationalite .. exigee", "francais de souche", "origine europeenne", "type europeen", "origine francaise", "peau blanche", "peau claire",
		"pas de maghrebin*", "pas d africain*", "pas d etranger*", "etranger* s abstenir", "origine* .. s abstenir", "couleur de peau")...)
	all = append(all, d(CritAppearance, 0.7, "bonne presentation exig*", "bonne presentation obligatoire", "bonne presentation indispensable",
		"physique agreable", "physique avantageux", "belle presentation", "taille minimum", "taille minimale", "poids maximum",
		"jeune* et jolie*", "jolie* fille*", "mince* exig*", "silhouette mince*", "sans tatouage*", "pas de tatouage*")...)
	all = append(all, ind(CritAppearance, 0.35, "bonne presentation", "presentation soignee exig*")...)
	all = append(all, d(CritFamily, 0.7, "sans enfant*", "pas d enfant*", "celibataire* exig*", "celibataire* uniquement", "situation familiale",
		"sans charge* de famille", "mere* de famille s abstenir", "pas de contrainte* familiale*")...)
	all = append(all, d(CritPregnancy, 0.9, "pas de grossesse", "projet de grossesse", "enceinte* s abstenir", "pas enceinte", "non enceinte",
		"test de grossesse", "grossesse .. exclu*")...)
	all = append(all, d(CritHealth, 0.7, "bonne sante exig*", "en parfaite sante", "aucun probleme de sante", "aucune maladie", "sans antecedent* medica*",
		"pas de maladie* chronique*", "certificat de bonne sante", "pas de diabetique*", "fumeur* s abstenir")...)
	all = append(all, d(CritDisability, 0.9, "pas de handicap", "sans handicap", "handicape* s abstenir", "personne* handicapee* exclu*",
		"pas de travailleur* handicape*", "pas de rqth", "aucun handicap", "valide* uniquement", "ne convient pas .. handicap")...)
	all = append(all, d(CritResidence, 0.7, "habitant* .. quartier* .. s abstenir", "pas de banlieue*", "banlieue* s abstenir",
		"domicili* .. exig*", "resid* .. uniquement", "habit* .. exclusivement", "quartier* sensible* exclu*", "code postal .. exig*",
		"pas de candidat* du #", "candidat* du # s abstenir")...)
	all = append(all, d(CritSurname, 0.9, "nom a consonance", "nom francais", "patronyme francais", "nom de famille francais")...)
	all = append(all, d(CritOrientation, 0.9, "heterosexuel*", "pas d homosexuel*", "homosexuel* s abstenir", "orientation sexuelle")...)
	all = append(all, d(CritGender, 0.9, "pas de transgenre*", "pas de personne* trans", "transgenre* s abstenir", "identite de genre")...)
	all = append(all, d(CritOpinions, 0.8, "sans engagement politique", "pas de militant*", "opinion* politique*", "sympathisant* .. exclu*")...)
	all = append(all, d(CritUnion, 0.9, "non syndique*", "pas de syndique*", "sans appartenance syndicale", "activite* syndicale*",
		"syndicaliste* s abstenir", "pas de syndicat*")...)
	all = append(all, d(CritReligion, 0.8, "catholique* pratiquant*", "de confession", "pas de voile", "sans voile", "femme* voilee* s abstenir",
		"pas de signe* religieux", "musulman*", "pas de juif*", "chretien* uniquement", "religion")...)
	all = append(all, d(CritLanguage, 0.6, "langue maternelle", "natif* .. uniquement", "sans accent", "native speaker*", "accent etranger")...)
	all = append(all, d(CritEconomic, 0.7, "rsa s abstenir", "pas de beneficiaire* du rsa", "pas de chomeur*", "chomeur* s abstenir",
		"surendette*", "sans ressource* s abstenir")...)
	return all
}

// Legitimate mentions lift some patterns: "personnes en situation de
// handicap bienvenues", a "langue maternelle" that is the subject taught.
var discrimUnless = map[string][]string{
	"langue maternelle": {"bienvenu"},
	"religion":          {"histoire", "laicite", "fait religieux"},
	"musulman*":         {"histoire", "civilisation"},
	"de confession":     {"secret"},
}
