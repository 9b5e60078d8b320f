package controls

// Sectarian-drift risk signals in training offers. They follow the
// Miviludes guidance on vocational training (the "développement de soi"
// and unconventional health practices as risk areas; pseudo-therapeutic
// or esoteric jargon; chains of ever costlier follow-on courses; unclear
// pricing; isolation; fasting or substances; therapist or coach titles
// from uncertified courses). The Miviludes publishes no keyword list: the
// phrases below are this project's, written from those signals and tuned
// on the labelled set in testdata (see docs/controls.md). One signal alone
// rarely holds an offer: their combination does.

// Sectarian-drift criteria (Finding.Criterion).
const (
	SectPseudoTherapy  = "pseudo_therapy"       // unconventional health claims
	SectMedicalRupture = "medical_rupture"      // turning people away from medicine
	SectEsoteric       = "esoteric"             // esoteric or spiritual jargon
	SectSelfDev        = "personal_development" // "développement de soi" vocabulary
	SectChain          = "course_chain"         // ever costlier follow-on levels
	SectIsolation      = "isolation"            // retreats, cutting ties
	SectFasting        = "fasting_substances"   // fasting, psychoactive substances
	SectTitle          = "uncertified_title"    // therapist/coach titles from the course itself
	SectPricing        = "unclear_pricing"      // donations, prices on request, pressure
)

var sectExplanations = map[string]string{
	SectPseudoTherapy:  "Pratique de soin non conventionnelle ou promesse thérapeutique sans fondement reconnu (signal de la Miviludes).",
	SectMedicalRupture: "Incitation à se détourner de la médecine ou des traitements : risque grave pour la santé (signal de la Miviludes).",
	SectEsoteric:       "Vocabulaire ésotérique ou spirituel sans lien avec une compétence professionnelle (signal de la Miviludes).",
	SectSelfDev:        "Vocabulaire du « développement de soi », domaine à risque selon la Miviludes.",
	SectChain:          "Cycle de stages successifs de plus en plus coûteux (signal de la Miviludes).",
	SectIsolation:      "Isolement des participants ou rupture avec leur entourage (signal de la Miviludes).",
	SectFasting:        "Jeûne, diète ou substances psychoactives (signal de la Miviludes).",
	SectTitle:          "Titre de thérapeute, de praticien ou de coach délivré par la formation elle-même, sans certification enregistrée (signal de la Miviludes).",
	SectPricing:        "Tarification floue, dons ou engagement financier sous pression (signal de la Miviludes).",
}

func sectPatterns() []pattern {
	p := func(criterion string, weight float64, raws ...string) []pattern {
		out := make([]pattern, len(raws))
		for i, r := range raws {
			out[i] = pattern{raw: r, criterion: criterion, weight: weight, explanation: sectExplanations[criterion]}
		}
		return out
	}
	var all []pattern
	all = append(all, p(SectPseudoTherapy, 0.45,
		"soin* energetique*", "energie vitale", "energies vitales", "magnetiseur", "magnetisme curatif", "bioresonance",
		"decodage biologique", "biologie totale", "medecine germanique", "memoire cellulaire", "memoires cellulaires",
		"harmonisation energetique", "frequence* vibratoire*", "taux vibratoire", "chakra*", "lecture* d aura", "nettoyage* .. aura", "lithotherapie",
		"therapie quantique", "medecine quantique", "soin quantique", "guerison quantique", "psychogenealogie",
		"constellation* familiale*", "guerir .. cancer", "guerir .. maladie*", "guerison .. maladie*", "autoguerison",
		"auto guerison", "reiki", "iridologie", "geobiologie", "nettoyage energetique", "corps subtil*", "medecine energetique",
		"reprogrammation cellulaire", "guerison spirituelle", "soin* vibratoire*", "alignement energetique")...)
	all = append(all, p(SectMedicalRupture, 1.0,
		"arret* .. traitement*", "sans medicament*", "abandonn* .. traitement*", "medecine officielle", "medecine conventionnelle .. impuissante", "medecine conventionnelle .. echoue*",
		"remplac* .. chimiotherapie", "plus besoin .. medecin*", "vaccin* .. poison*", "renonc* .. traitement*")...)
	all = append(all, p(SectEsoteric, 0.35,
		"eveil spirituel", "eveil de conscience", "conscience superieure", "maitre* ascensionne*", "channeling", "canalisation* d entite*", "canalisation* spirituelle*",
		"vie* anterieure*", "annales akashiques", "registres akashiques", "karma", "karmique*", "troisieme oeil", "energie cosmique",
		"lumiere divine", "guide* spirituel*", "initiation sacree", "ascension .. 5d", "monde invisible", "etre* de lumiere",
		"enseignement* secret*", "savoir* ancestra* secret*", "ame* soeur*", "mission d ame", "contrat* d ame")...)
	all = append(all, p(SectSelfDev, 0.15,
		"developpement personnel", "developpement de soi", "transformation interieure", "liberer .. blocage*",
		"reprogrammer .. inconscient", "potentiel illimite", "loi de l attraction", "meilleure version de vous",
		"lacher prise", "trouver .. voie interieure", "reconnexion a soi", "enfant interieur")...)
	all = append(all, p(SectChain, 0.35,
		"niveau superieur .. reserve*", "cycle superieur", "seul* .. ayant suivi", "reserve* .. ayant suivi", "reserve* .. ayant valide*", "stage* suivant*", "parcours initiatique",
		"accessible* .. apres .. niveau #", "obligatoire* .. niveau suivant", "module* avance* .. reserve*", "cursus complet en # niveaux",
		"niveau # .. niveau # .. niveau #", "degre* d initiation", "formation* complementaire* obligatoire*")...)
	all = append(all, p(SectIsolation, 0.35,
		"coupe* du monde", "sans telephone", "telephone* .. confisque*", "rompre avec .. entourage", "couper .. lien* .. famille",
		"eloigner .. proche*", "famille* toxique*", "entourage toxique", "isolement total", "immersion totale .. lieu isole",
		"retraite* residentielle*", "stage* residentiel*", "retraite* .. silence", "aucun contact .. exterieur", "communaute .. vivre ensemble")...)
	all = append(all, p(SectFasting, 0.45,
		"=jeuner", "=jeunez", "cure de =jeune", "jours de =jeune", "=jeune hydrique", "=jeune sec", "=jeune therapeutique",
		"periode* de =jeune", "=jeune prolonge*", "diete hydrique", "respirianisme", "ayahuasca", "iboga", "plante* maitresse*",
		"plante* enseignante*", "champignon* .. conscience", "psychedelique*", "cure de purification", "monodiete", "purification du corps")...)
	all = append(all, p(SectTitle, 0.35,
		"devenez therapeute", "devenir therapeute", "therapeute holistique", "praticien* certifie*", "praticienne* certifiee*",
		"diplome* de praticien", "titre de therapeute", "devenez guerisseu*", "maitre reiki", "certification interne",
		"certificat .. delivre .. par notre ecole", "devenez coach .. # jours", "exercer .. therapeute .. fin", "installer .. therapeute")...)
	all = append(all, p(SectPricing, 0.25,
		"participation libre", "participation consciente", "don .. libre", "offrande*", "tarif* .. sur demande",
		"prix .. communique* .. entretien", "engagement financier", "places .. limitee* .. inscri* .. immediatement", "paiement integral .. avant")...)
	return all
}
