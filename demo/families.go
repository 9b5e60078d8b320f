package demo

import "github.com/parcours/parcours/marketplace"

// sector groups the families that one kind of training organisation
// teaches; it drives provider names and how far a provider reaches.
type sector int

const (
	driving   sector = iota // auto-écoles
	safety                  // sécurité, prévention, logistique, industrie
	languages               // langues étrangères, FLE, orthographe
	office                  // bureautique, PAO, communication numérique
	software                // développement, systèmes et réseaux
	business                // gestion, commerce, management, création d'entreprise
	care                    // santé et services à la personne
	food                    // hôtellerie-restauration
	nSectors
)

// family is one kind of training leading to one certification, with what a
// realistic offer of it looks like. Prices are in euros and multiples of 10;
// hours are multiples of step. Texts may hold {h} (the offer's hours),
// {ville} (the town) and {aville} ("à Lyon", "au Mans").
type family struct {
	key    string
	sector sector
	weight int // how common the family is within its sector
	cert   marketplace.Certification

	price [2]int // euros, inclusive
	hours [2]int // inclusive
	step  int
	mix   [3]int // weights of in-person, distance and mixed offers
	seats [2]int // per session, inclusive
	// weekly is the hours a week of an in-person session; 35 is full
	// time. stage is the range of weeks of work placement that long
	// courses add after the lessons.
	weekly int
	stage  [2]int

	skills  []string
	titles  []string
	intros  []string
	details []string
	goals   []string
	// inPerson, when set, replaces the sentences on in-person teaching
	// (driving lessons are one to one, not "en petits groupes").
	inPerson []string
}

// Modality weights, as indexes into family.mix.
const (
	mixInPerson = iota
	mixDistance
	mixMixed
)

func rs(code, title string) marketplace.Certification {
	return marketplace.Certification{Kind: marketplace.RS, Code: code, Title: title}
}

func rncp(code, title string, level int) marketplace.Certification {
	return marketplace.Certification{Kind: marketplace.RNCP, Code: code, Title: title, Level: level}
}

// families is the demo catalogue's repertoire. RNCP37674 (DWWM), RNCP37873
// (CDA), RNCP35830 (aide-soignant) and RNCP37098 (conseiller de vente) are
// the real codes; the other codes have the right register and shape but are
// only plausible: the demo set is no reference. The driving licence is in
// reality eligible by law (article L6323-6 of the Code du travail) rather
// than through the Répertoire spécifique; the domain model knows only RNCP
// and RS, so it is filed under RS here.
var families = []family{
	// Conduite.
	{
		key: "permis-b", sector: driving, weight: 65,
		cert:  rs("RS5436", "Permis de conduire catégorie B"),
		price: [2]int{1000, 2500}, hours: [2]int{20, 40}, step: 1,
		mix: [3]int{100, 0, 0}, seats: [2]int{1, 8}, weekly: 4,
		skills: []string{
			"Maîtriser le maniement du véhicule dans un trafic faible ou nul",
			"Appréhender la route et circuler dans des conditions normales",
			"Circuler dans des conditions difficiles et partager la route",
			"Pratiquer une conduite autonome, sûre et économique",
			"Connaître et appliquer le code de la route",
			"Adopter une conduite éco-responsable",
		},
		titles: []string{
			"Permis B – formule accélérée",
			"Permis B – forfait {h} heures de conduite",
			"Permis B boîte automatique",
			"Permis de conduire B : code et conduite",
			"Permis B – formule classique",
		},
		intros: []string{
			"Préparation complète au permis de conduire de catégorie B : leçons de conduite avec un enseignant diplômé et présentation à l'examen pratique.",
			"Forfait permis B comprenant l'évaluation de départ, {h} heures de conduite et l'accompagnement à l'examen.",
			"Formation au permis B pour conduire en toute autonomie, que vous partiez de zéro ou repreniez après un échec.",
		},
		details: []string{
			"Les leçons suivent le référentiel pour l'éducation à une mobilité citoyenne (REMC) et se déroulent en ville, sur route et sur voie rapide.",
			"Un livret d'apprentissage numérique permet de suivre vos progrès compétence par compétence.",
			"Le véhicule école est équipé de doubles commandes et les horaires de leçon s'adaptent à vos disponibilités.",
		},
		inPerson: drivingSentences,
		goals: []string{
			"Conduire en sécurité et en autonomie un véhicule de catégorie B.",
			"Réussir l'épreuve pratique du permis de conduire.",
			"Adopter une conduite économe et respectueuse des autres usagers.",
			"Savoir réagir dans les situations difficiles : nuit, pluie, circulation dense.",
		},
	},
	{
		key: "code-route", sector: driving, weight: 22,
		cert:  rs("RS5513", "Épreuve théorique générale du code de la route"),
		price: [2]int{150, 600}, hours: [2]int{10, 30}, step: 1,
		mix: [3]int{40, 40, 20}, seats: [2]int{5, 20}, weekly: 6,
		skills: []string{
			"Connaître la signalisation routière",
			"Appliquer les règles de circulation",
			"Identifier les risques liés au conducteur et à l'environnement",
			"Connaître les gestes de premiers secours",
			"Comprendre les équipements et l'entretien du véhicule",
			"Adopter les bons réflexes pour l'environnement",
		},
		titles: []string{
			"Code de la route – préparation à l'examen",
			"Code de la route en ligne + examen",
			"Stage code de la route intensif",
			"Code de la route : {h} h de cours et tests",
		},
		intros: []string{
			"Préparation à l'épreuve théorique générale du code de la route, avec séries de questions commentées et examens blancs.",
			"Formation au code de la route couvrant les dix thèmes de l'examen, de la signalisation aux premiers secours.",
		},
		details: []string{
			"Un accès illimité à une plateforme d'entraînement complète les séances avec un enseignant.",
			"La présentation à l'examen dans un centre agréé est comprise dans le forfait.",
		},
		goals: []string{
			"Réussir l'épreuve théorique générale du code de la route.",
			"Maîtriser les règles de circulation et la signalisation.",
			"Repérer les situations à risque et adopter les bons comportements.",
		},
	},
	{
		key: "permis-c", sector: driving, weight: 10,
		cert:  rs("RS5529", "Permis de conduire catégorie C (poids lourd)"),
		price: [2]int{1800, 3800}, hours: [2]int{70, 140}, step: 7,
		mix: [3]int{100, 0, 0}, seats: [2]int{2, 6}, weekly: 35,
		skills: []string{
			"Maîtriser un véhicule de plus de 3,5 tonnes",
			"Effectuer les vérifications avant le départ",
			"Circuler en sécurité avec un poids lourd",
			"Arrimer et contrôler un chargement",
			"Utiliser le chronotachygraphe",
			"Respecter la réglementation sociale européenne",
		},
		titles: []string{
			"Permis C – poids lourd",
			"Permis C : formation complète {h} h",
			"Permis poids lourd catégorie C",
		},
		intros: []string{
			"Formation au permis C pour conduire les véhicules de transport de marchandises de plus de 3,5 tonnes.",
			"Préparation aux épreuves théoriques et pratiques du permis poids lourd, sur piste et en circulation.",
		},
		details: []string{
			"Les séances hors circulation se déroulent sur notre plateau de manœuvres, avec un porteur récent.",
			"Le programme comprend les vérifications du véhicule et l'utilisation du chronotachygraphe.",
		},
		inPerson: drivingSentences,
		goals: []string{
			"Obtenir le permis de conduire de catégorie C.",
			"Conduire un poids lourd en sécurité en agglomération et sur route.",
			"Réaliser les vérifications et les manœuvres demandées à l'examen.",
		},
	},

	// Sécurité, prévention, logistique, industrie.
	{
		key: "caces-r489", sector: safety, weight: 30,
		cert:  rs("RS5633", "CACES® R489 – Chariots de manutention automoteurs à conducteur porté"),
		price: [2]int{400, 1200}, hours: [2]int{14, 35}, step: 7,
		mix: [3]int{100, 0, 0}, seats: [2]int{4, 8}, weekly: 35,
		skills: []string{
			"Conduire un chariot élévateur en sécurité",
			"Prendre et déposer une charge en palettier",
			"Vérifier l'état du chariot avant utilisation",
			"Lire une plaque de charge",
			"Appliquer les règles de circulation en entrepôt",
			"Charger et décharger un camion à quai",
		},
		titles: []string{
			"CACES® R489 catégories 1A, 3 et 5",
			"CACES® R489 – chariots élévateurs",
			"Cariste : CACES® R489 catégorie 3",
			"CACES® R489 initial – {h} h",
		},
		intros: []string{
			"Formation théorique et pratique à la conduite en sécurité des chariots élévateurs, validée par le test CACES® R489.",
			"Stage de préparation au CACES® R489 pour les caristes débutants ou expérimentés.",
		},
		details: []string{
			"La pratique se fait sur des chariots récents, dans un espace de stockage reconstitué.",
			"Les tests théorique et pratique sont passés en fin de stage avec un testeur certifié.",
		},
		goals: []string{
			"Obtenir le CACES® R489 dans les catégories visées.",
			"Conduire un chariot élévateur dans le respect des règles de sécurité.",
			"Réaliser les opérations de chargement, de déchargement et de stockage.",
		},
	},
	{
		key: "caces-r486", sector: safety, weight: 12,
		cert:  rs("RS5701", "CACES® R486 – Plates-formes élévatrices mobiles de personnes"),
		price: [2]int{450, 1200}, hours: [2]int{14, 21}, step: 7,
		mix: [3]int{100, 0, 0}, seats: [2]int{4, 8}, weekly: 35,
		skills: []string{
			"Utiliser une nacelle élévatrice en sécurité",
			"Baliser une zone d'intervention",
			"Vérifier la nacelle avant utilisation",
			"Réaliser une manœuvre de secours",
			"Prévenir les risques de renversement et d'électrocution",
		},
		titles: []string{
			"CACES® R486 nacelles catégories A et B",
			"CACES® R486 – PEMP",
			"Conduite de nacelles élévatrices : CACES® R486",
		},
		intros: []string{
			"Formation à l'utilisation des plates-formes élévatrices mobiles de personnes (nacelles), validée par le CACES® R486.",
			"Stage pratique pour travailler en hauteur depuis une nacelle en toute sécurité.",
		},
		details: []string{
			"Les exercices se font sur nacelles à ciseaux et sur nacelles articulées.",
			"Le stage se conclut par les tests théorique et pratique du CACES®.",
		},
		goals: []string{
			"Obtenir le CACES® R486 dans la catégorie visée.",
			"Travailler en hauteur depuis une nacelle en maîtrisant les risques.",
			"Effectuer les vérifications de prise de poste.",
		},
	},
	{
		key: "sst", sector: safety, weight: 25,
		cert:  rs("RS5576", "Sauveteur secouriste du travail (SST)"),
		price: [2]int{150, 400}, hours: [2]int{14, 14}, step: 7,
		mix: [3]int{100, 0, 0}, seats: [2]int{4, 10}, weekly: 35,
		skills: []string{
			"Protéger une victime et les témoins",
			"Examiner une victime",
			"Alerter les secours",
			"Secourir en cas d'hémorragie, d'étouffement ou d'arrêt cardiaque",
			"Utiliser un défibrillateur",
			"Contribuer à la prévention des risques professionnels",
		},
		titles: []string{
			"Sauveteur secouriste du travail (SST) – formation initiale",
			"SST – Sauveteur secouriste du travail",
			"Formation SST {h} h",
		},
		intros: []string{
			"Formation de sauveteur secouriste du travail selon le référentiel de l'INRS, alternant apports théoriques et mises en situation.",
			"Deux jours pour apprendre les gestes qui sauvent et devenir acteur de la prévention dans votre entreprise.",
		},
		details: []string{
			"Les cas concrets se font avec mannequins et défibrillateur de formation.",
			"Le certificat SST est délivré aux stagiaires qui réussissent les épreuves certificatives.",
		},
		goals: []string{
			"Intervenir efficacement face à une situation d'accident du travail.",
			"Mettre en application ses compétences de prévention dans l'entreprise.",
			"Obtenir le certificat de sauveteur secouriste du travail.",
		},
	},
	{
		key: "habilitation-electrique", sector: safety, weight: 20,
		cert:  rs("RS5550", "Habilitation électrique selon la norme NF C 18-510"),
		price: [2]int{250, 900}, hours: [2]int{7, 21}, step: 7,
		mix: [3]int{80, 0, 20}, seats: [2]int{4, 12}, weekly: 35,
		skills: []string{
			"Identifier les dangers de l'électricité",
			"Délimiter les zones d'environnement électrique",
			"Appliquer les prescriptions de sécurité de la NF C 18-510",
			"Réaliser une consignation",
			"Utiliser les équipements de protection individuelle",
			"Réagir en cas d'accident d'origine électrique",
		},
		titles: []string{
			"Habilitation électrique B0 H0 H0V",
			"Habilitation électrique BS BE Manœuvre",
			"Habilitation électrique B1V B2V BR BC",
			"Préparation à l'habilitation électrique – {h} h",
		},
		intros: []string{
			"Formation préparatoire à l'habilitation électrique pour le personnel électricien ou non électricien.",
			"Stage conforme à la norme NF C 18-510 pour travailler en sécurité à proximité des installations électriques.",
		},
		details: []string{
			"Les travaux pratiques se font sur des armoires pédagogiques.",
			"Un avis après formation est remis à l'employeur, qui délivre le titre d'habilitation.",
		},
		goals: []string{
			"Connaître les risques électriques et les moyens de s'en protéger.",
			"Appliquer les consignes de sécurité propres à son niveau d'habilitation.",
			"Savoir réagir face à un incident ou un accident d'origine électrique.",
		},
	},
	{
		key: "cqp-aps", sector: safety, weight: 10,
		cert:  rncp("RNCP34054", "CQP Agent de prévention et de sécurité (APS)", 3),
		price: [2]int{1600, 2800}, hours: [2]int{175, 210}, step: 7,
		mix: [3]int{100, 0, 0}, seats: [2]int{8, 16}, weekly: 35,
		skills: []string{
			"Surveiller un site et contrôler les accès",
			"Rédiger une main courante et un rapport",
			"Prévenir les risques d'incendie",
			"Gérer les situations conflictuelles",
			"Appliquer le cadre juridique de la sécurité privée",
			"Porter secours à une victime",
		},
		titles: []string{
			"CQP Agent de prévention et de sécurité (APS)",
			"Devenir agent de sécurité – CQP APS",
			"CQP APS {h} h",
		},
		intros: []string{
			"Formation au certificat de qualification professionnelle d'agent de prévention et de sécurité, nécessaire pour exercer dans la sécurité privée.",
			"Parcours complet pour devenir agent de sécurité : surveillance, prévention incendie, secourisme et cadre légal.",
		},
		details: []string{
			"L'entrée en formation suppose une autorisation préalable délivrée par le CNAPS.",
			"Le programme comprend le secourisme et une initiation à la sécurité incendie.",
		},
		goals: []string{
			"Obtenir le CQP APS et demander sa carte professionnelle.",
			"Assurer la surveillance et la sécurité d'un site.",
			"Réagir de façon adaptée aux incidents et aux conflits.",
		},
	},
	{
		key: "soudage", sector: safety, weight: 8,
		cert:  rncp("RNCP37221", "Soudeur assembleur industriel", 3),
		price: [2]int{3000, 8000}, hours: [2]int{420, 805}, step: 35,
		mix: [3]int{100, 0, 0}, seats: [2]int{6, 12}, weekly: 35, stage: [2]int{4, 8},
		skills: []string{
			"Lire un plan de fabrication",
			"Souder à l'arc avec électrode enrobée",
			"Souder en semi-automatique (MAG)",
			"Souder au TIG",
			"Préparer et pointer des assemblages",
			"Contrôler la qualité d'une soudure",
		},
		titles: []string{
			"Titre professionnel Soudeur assembleur industriel",
			"Soudeur assembleur industriel (TP SAI)",
			"Devenir soudeur : titre professionnel de niveau 3",
		},
		intros: []string{
			"Formation qualifiante au métier de soudeur assembleur industriel, préparant au titre professionnel de niveau 3 du ministère du Travail.",
			"Apprentissage des procédés de soudage à l'arc, MAG et TIG sur aciers et inox.",
		},
		details: []string{
			"Les stagiaires travaillent en cabines individuelles équipées d'aspiration des fumées.",
			"Une période en entreprise permet de mettre en pratique les procédés appris.",
		},
		goals: []string{
			"Réaliser des assemblages soudés conformes à un plan.",
			"Maîtriser plusieurs procédés de soudage en toutes positions.",
			"Obtenir le titre professionnel Soudeur assembleur industriel.",
		},
	},

	// Langues.
	{
		key: "toeic", sector: languages, weight: 40,
		cert:  rs("RS5468", "TOEIC Listening and Reading"),
		price: [2]int{300, 1800}, hours: [2]int{10, 60}, step: 5,
		mix: [3]int{25, 55, 20}, seats: [2]int{4, 12}, weekly: 6,
		skills: []string{
			"Comprendre l'anglais oral en contexte professionnel",
			"Lire des documents professionnels en anglais",
			"Enrichir son vocabulaire professionnel",
			"Maîtriser les structures grammaticales courantes",
			"S'entraîner aux épreuves du TOEIC",
			"Rédiger un e-mail en anglais",
		},
		titles: []string{
			"Anglais professionnel + TOEIC",
			"Préparation au TOEIC Listening and Reading",
			"Anglais – objectif TOEIC {h} h",
			"Anglais des affaires et certification TOEIC",
		},
		intros: []string{
			"Formation en anglais professionnel préparant au TOEIC Listening and Reading, avec un test de positionnement en début de parcours.",
			"Parcours d'anglais adapté à votre niveau pour progresser à l'oral comme à l'écrit et valider vos acquis par le TOEIC.",
		},
		details: []string{
			"Des cours individuels avec un formateur natif alternent avec des exercices en autonomie.",
			"Le passage du TOEIC, en centre agréé ou en ligne, est inclus.",
		},
		goals: []string{
			"Améliorer sa compréhension de l'anglais oral et écrit en contexte professionnel.",
			"Gagner en aisance dans les échanges avec des interlocuteurs anglophones.",
			"Obtenir un score TOEIC à faire valoir sur son CV.",
		},
	},
	{
		key: "linguaskill", sector: languages, weight: 20,
		cert:  rs("RS6111", "Linguaskill (Cambridge English)"),
		price: [2]int{400, 2000}, hours: [2]int{15, 60}, step: 5,
		mix: [3]int{25, 55, 20}, seats: [2]int{4, 12}, weekly: 6,
		skills: []string{
			"Comprendre un message oral en anglais",
			"Lire et analyser un texte en anglais",
			"Rédiger un e-mail ou un compte rendu en anglais",
			"Prendre la parole en réunion en anglais",
			"Développer son vocabulaire professionnel",
		},
		titles: []string{
			"Anglais général + Linguaskill",
			"Anglais professionnel – certification Linguaskill",
			"Cours d'anglais intensif et Linguaskill",
		},
		intros: []string{
			"Cours d'anglais préparant au test Linguaskill de Cambridge, qui situe votre niveau sur le Cadre européen, de A1 à C1.",
			"Formation d'anglais à l'oral comme à l'écrit, conclue par la certification Linguaskill.",
		},
		details: []string{
			"Le test se passe en ligne et donne un résultat détaillé par compétence.",
			"Les séances partent de situations tirées de votre métier.",
		},
		goals: []string{
			"Progresser d'au moins un niveau du Cadre européen commun de référence.",
			"Communiquer avec aisance en anglais dans un contexte professionnel.",
			"Valider son niveau par la certification Linguaskill.",
		},
	},
	{
		key: "espagnol", sector: languages, weight: 14,
		cert:  rs("RS6143", "DELE – Diplomas de Español como Lengua Extranjera"),
		price: [2]int{400, 2200}, hours: [2]int{15, 60}, step: 5,
		mix: [3]int{35, 45, 20}, seats: [2]int{4, 12}, weekly: 6,
		skills: []string{
			"Comprendre l'espagnol oral courant",
			"Lire des documents en espagnol",
			"Se présenter et échanger en espagnol",
			"Rédiger un message simple en espagnol",
			"Connaître les codes culturels du monde hispanophone",
		},
		titles: []string{
			"Espagnol – préparation au DELE",
			"Cours d'espagnol tous niveaux + DELE",
			"Espagnol professionnel {h} h",
		},
		intros: []string{
			"Cours d'espagnol pour progresser à l'oral et à l'écrit, avec une préparation aux épreuves du DELE.",
			"Formation d'espagnol adaptée à votre niveau, de la découverte de la langue au perfectionnement.",
		},
		details: []string{
			"Les formateurs sont hispanophones et spécialisés dans l'enseignement aux adultes.",
			"Un test de niveau en début de parcours permet de fixer les objectifs.",
		},
		goals: []string{
			"Tenir une conversation en espagnol dans la vie courante et au travail.",
			"Comprendre des documents écrits et oraux en espagnol.",
			"Obtenir le DELE du niveau visé.",
		},
	},
	{
		key: "allemand", sector: languages, weight: 8,
		cert:  rs("RS6184", "Goethe-Zertifikat (allemand langue étrangère)"),
		price: [2]int{500, 2400}, hours: [2]int{20, 60}, step: 5,
		mix: [3]int{35, 45, 20}, seats: [2]int{4, 10}, weekly: 6,
		skills: []string{
			"Comprendre l'allemand oral courant",
			"Lire des textes courts en allemand",
			"Se présenter et échanger en allemand",
			"Rédiger un courrier simple en allemand",
			"Maîtriser les bases de la grammaire allemande",
		},
		titles: []string{
			"Allemand – préparation au Goethe-Zertifikat",
			"Cours d'allemand + certification Goethe",
			"Allemand professionnel {h} h",
		},
		intros: []string{
			"Cours d'allemand pour débutants ou faux débutants, conclus par un examen du Goethe-Institut.",
			"Formation d'allemand à visée professionnelle, centrée sur la communication orale.",
		},
		details: []string{
			"Les séances s'appuient sur des situations de travail : téléphone, réunions, courriels.",
			"Un test de niveau en début de parcours permet de fixer les objectifs.",
		},
		goals: []string{
			"Échanger en allemand dans les situations professionnelles courantes.",
			"Comprendre des documents simples en allemand.",
			"Obtenir le Goethe-Zertifikat du niveau visé.",
		},
	},
	{
		key: "italien", sector: languages, weight: 6,
		cert:  rs("RS5612", "CILS – Certification d'italien langue étrangère"),
		price: [2]int{400, 2000}, hours: [2]int{15, 50}, step: 5,
		mix: [3]int{35, 45, 20}, seats: [2]int{4, 10}, weekly: 6,
		skills: []string{
			"Comprendre l'italien oral courant",
			"Lire des documents simples en italien",
			"Se présenter et échanger en italien",
			"Rédiger un message simple en italien",
			"Découvrir la culture italienne",
		},
		titles: []string{
			"Italien – préparation à la CILS",
			"Cours d'italien + certification CILS",
			"Italien pour débutants – {h} h",
		},
		intros: []string{
			"Cours d'italien pour communiquer rapidement dans les situations de tous les jours, avec préparation à la certification CILS.",
			"Formation d'italien adaptée à votre niveau, à l'oral comme à l'écrit.",
		},
		details: []string{
			"Les formateurs sont italophones et spécialisés dans l'enseignement aux adultes.",
			"Un test de niveau en début de parcours permet de fixer les objectifs.",
		},
		goals: []string{
			"Tenir une conversation simple en italien.",
			"Comprendre des documents écrits et oraux en italien.",
			"Obtenir la certification CILS du niveau visé.",
		},
	},
	{
		key: "delf", sector: languages, weight: 10,
		cert:  rs("RS6285", "DELF – Diplôme d'études en langue française"),
		price: [2]int{500, 2500}, hours: [2]int{20, 120}, step: 10,
		mix: [3]int{50, 30, 20}, seats: [2]int{6, 15}, weekly: 12,
		skills: []string{
			"Comprendre le français oral de la vie quotidienne",
			"Lire des documents administratifs en français",
			"Remplir un formulaire et écrire un courrier",
			"Échanger à l'oral en français",
			"Connaître les codes de la vie professionnelle en France",
		},
		titles: []string{
			"Français langue étrangère (FLE) + DELF",
			"FLE – préparation au DELF B1",
			"Cours de français pour adultes – {h} h",
		},
		intros: []string{
			"Formation de français langue étrangère pour gagner en autonomie au quotidien et au travail, avec préparation au DELF.",
			"Cours de FLE pour adultes non francophones, du niveau A1 au niveau B2.",
		},
		details: []string{
			"Les groupes sont constitués par niveau après un entretien et un test de positionnement.",
			"Les séances partent de situations concrètes : démarches, entretiens d'embauche, échanges au travail.",
		},
		goals: []string{
			"Communiquer en français dans la vie courante et au travail.",
			"Comprendre et rédiger des écrits simples.",
			"Obtenir le DELF du niveau visé.",
		},
	},
	{
		key: "tcf", sector: languages, weight: 6,
		cert:  rs("RS6298", "TCF – Test de connaissance du français"),
		price: [2]int{250, 1200}, hours: [2]int{10, 40}, step: 5,
		mix: [3]int{40, 40, 20}, seats: [2]int{6, 15}, weekly: 6,
		skills: []string{
			"Comprendre le français oral",
			"Maîtriser les structures de la langue",
			"Lire et comprendre un texte en français",
			"S'exprimer à l'écrit en français",
			"Gérer son temps pendant un test",
		},
		titles: []string{
			"Préparation au TCF",
			"Français : préparation au TCF – {h} h",
			"TCF – entraînement et passage du test",
		},
		intros: []string{
			"Préparation ciblée au Test de connaissance du français (TCF) de France Éducation international.",
			"Entraînement aux épreuves du TCF : compréhension orale, structures de la langue et compréhension écrite.",
		},
		details: []string{
			"Des tests blancs chronométrés rythment le parcours.",
			"Le TCF évalue le niveau sur l'échelle du Cadre européen, de A1 à C2.",
		},
		goals: []string{
			"Connaître le format et les attendus du TCF.",
			"Consolider sa compréhension et son expression en français.",
			"Obtenir au TCF le niveau visé pour son projet.",
		},
	},
	{
		key: "voltaire", sector: languages, weight: 10,
		cert:  rs("RS5199", "Certificat Voltaire"),
		price: [2]int{200, 900}, hours: [2]int{8, 30}, step: 2,
		mix: [3]int{20, 70, 10}, seats: [2]int{6, 15}, weekly: 4,
		skills: []string{
			"Maîtriser l'orthographe d'usage",
			"Accorder le participe passé",
			"Éviter les confusions entre homophones",
			"Conjuguer sans erreur",
			"Relire et corriger un écrit professionnel",
		},
		titles: []string{
			"Orthographe : préparation au Certificat Voltaire",
			"Certificat Voltaire – remise à niveau en orthographe",
			"Écrits professionnels et Certificat Voltaire",
		},
		intros: []string{
			"Remise à niveau en orthographe et en grammaire, conclue par le passage du Certificat Voltaire.",
			"Parcours d'entraînement personnalisé pour écrire sans fautes dans un contexte professionnel.",
		},
		details: []string{
			"Un test initial cible les règles à travailler en priorité.",
			"L'examen se passe en centre agréé ou en ligne, sous surveillance à distance.",
		},
		goals: []string{
			"Écrire des courriels et des documents sans fautes.",
			"Maîtriser les règles d'accord et de conjugaison.",
			"Obtenir un score au Certificat Voltaire à faire valoir sur son CV.",
		},
	},

	// Bureautique et numérique.
	{
		key: "tosa-excel", sector: office, weight: 40,
		cert:  rs("RS5252", "TOSA Excel"),
		price: [2]int{300, 1500}, hours: [2]int{7, 35}, step: 1,
		mix: [3]int{35, 45, 20}, seats: [2]int{4, 12}, weekly: 7,
		skills: []string{
			"Créer et mettre en forme un tableau",
			"Utiliser les formules et les fonctions de calcul",
			"Créer des graphiques",
			"Trier et filtrer des données",
			"Construire un tableau croisé dynamique",
			"Utiliser les fonctions RECHERCHEV et SI",
			"Automatiser des tâches répétitives",
		},
		titles: []string{
			"Excel – du débutant à l'intermédiaire + TOSA",
			"Excel avancé : tableaux croisés dynamiques et TOSA",
			"Maîtriser Excel – certification TOSA",
			"Excel {h} h + TOSA Excel",
		},
		intros: []string{
			"Formation Excel adaptée à votre niveau, des bases du tableur aux fonctions avancées, avec passage de la certification TOSA.",
			"Parcours Excel construit à partir d'un test de positionnement et de cas pratiques tirés de la vie de l'entreprise.",
		},
		details: []string{
			"La certification TOSA donne un score sur 1 000, reconnu par les employeurs.",
			"Chaque stagiaire travaille sur son poste avec une version récente de Microsoft 365.",
		},
		goals: []string{
			"Gagner en efficacité dans la gestion de tableaux de données.",
			"Maîtriser les formules, les graphiques et les tableaux croisés dynamiques.",
			"Obtenir un score TOSA Excel à faire valoir sur son CV.",
		},
	},
	{
		key: "tosa-word", sector: office, weight: 15,
		cert:  rs("RS6198", "TOSA Word"),
		price: [2]int{300, 1200}, hours: [2]int{7, 28}, step: 1,
		mix: [3]int{35, 45, 20}, seats: [2]int{4, 12}, weekly: 7,
		skills: []string{
			"Mettre en forme un document",
			"Utiliser les styles et créer une table des matières",
			"Insérer des tableaux et des images",
			"Réaliser un publipostage",
			"Gérer un document long",
		},
		titles: []string{
			"Word – les fondamentaux + TOSA",
			"Word perfectionnement et certification TOSA",
			"Traitement de texte Word – {h} h",
		},
		intros: []string{
			"Formation Word pour produire des documents professionnels soignés, avec passage de la certification TOSA.",
			"Parcours Word adapté à votre niveau, du courrier simple au rapport de plusieurs dizaines de pages.",
		},
		details: []string{
			"Les exercices reprennent des documents de la vie de l'entreprise : courriers, rapports, comptes rendus.",
			"La certification TOSA donne un score sur 1 000, reconnu par les employeurs.",
		},
		goals: []string{
			"Produire rapidement des documents bien présentés.",
			"Maîtriser les styles, les tableaux et le publipostage.",
			"Obtenir un score TOSA Word à faire valoir sur son CV.",
		},
	},
	{
		key: "icdl", sector: office, weight: 15,
		cert:  rs("RS6561", "ICDL – PCIE, Passeport de compétences informatique européen"),
		price: [2]int{400, 1500}, hours: [2]int{10, 40}, step: 1,
		mix: [3]int{35, 45, 20}, seats: [2]int{4, 12}, weekly: 7,
		skills: []string{
			"Utiliser un ordinateur et gérer ses fichiers",
			"Naviguer sur internet en sécurité",
			"Utiliser la messagerie électronique",
			"Produire des documents avec un traitement de texte",
			"Utiliser un tableur",
			"Protéger ses données personnelles",
		},
		titles: []string{
			"Bureautique : passeport ICDL (PCIE)",
			"Initiation à l'informatique et certification ICDL",
			"ICDL – modules essentiels",
		},
		intros: []string{
			"Formation aux usages essentiels de l'ordinateur et des logiciels de bureautique, validée par la certification ICDL.",
			"Parcours d'initiation pour prendre confiance avec l'informatique, modules après modules.",
		},
		details: []string{
			"Chaque module de l'ICDL se valide par un test en ligne.",
			"Les exercices partent des usages du quotidien et du travail.",
		},
		goals: []string{
			"Utiliser un ordinateur, internet et la messagerie en autonomie.",
			"Produire des documents simples avec les logiciels de bureautique.",
			"Obtenir la certification ICDL.",
		},
	},
	{
		key: "tosa-photoshop", sector: office, weight: 10,
		cert:  rs("RS6204", "TOSA Photoshop"),
		price: [2]int{500, 2000}, hours: [2]int{14, 42}, step: 7,
		mix: [3]int{40, 40, 20}, seats: [2]int{4, 10}, weekly: 14,
		skills: []string{
			"Retoucher une photographie",
			"Travailler avec les calques et les masques",
			"Détourer une image",
			"Préparer des visuels pour le web et l'impression",
			"Réaliser un photomontage",
		},
		titles: []string{
			"Photoshop – les fondamentaux + TOSA",
			"PAO : Photoshop et certification TOSA",
			"Retouche d'images avec Photoshop",
		},
		intros: []string{
			"Formation à Photoshop pour retoucher des photos et créer des visuels, avec passage de la certification TOSA.",
			"Initiation à la PAO avec Photoshop, de la retouche simple au photomontage.",
		},
		details: []string{
			"Chaque stagiaire dispose d'un poste équipé de la suite Adobe.",
			"Les exercices partent de vos propres projets : affiches, visuels pour les réseaux sociaux, catalogues.",
		},
		goals: []string{
			"Retoucher et préparer des images pour le web et l'impression.",
			"Maîtriser les calques, les masques et les outils de sélection.",
			"Obtenir un score TOSA Photoshop à faire valoir sur son CV.",
		},
	},
	{
		key: "reseaux-sociaux", sector: office, weight: 12,
		cert:  rs("RS5870", "Élaborer et mettre en œuvre une stratégie de communication sur les réseaux sociaux"),
		price: [2]int{900, 3500}, hours: [2]int{21, 70}, step: 7,
		mix: [3]int{30, 45, 25}, seats: [2]int{6, 14}, weekly: 14,
		skills: []string{
			"Définir une stratégie éditoriale",
			"Animer une communauté en ligne",
			"Créer des contenus pour les réseaux sociaux",
			"Mesurer l'audience et les performances",
			"Piloter une campagne publicitaire en ligne",
			"Gérer sa réputation en ligne",
		},
		titles: []string{
			"Community manager : stratégie sur les réseaux sociaux",
			"Réseaux sociaux pour les professionnels – certification",
			"Marketing digital et réseaux sociaux",
		},
		intros: []string{
			"Formation certifiante pour construire et animer la présence de votre entreprise sur les réseaux sociaux.",
			"Parcours pratique de communication numérique : stratégie, contenus, publicité et mesure des résultats.",
		},
		details: []string{
			"Chaque stagiaire construit la stratégie d'un projet réel, évaluée par un jury.",
			"Les outils de planification et de mesure d'audience sont pris en main pendant la formation.",
		},
		goals: []string{
			"Élaborer une stratégie de communication sur les réseaux sociaux.",
			"Créer des contenus adaptés à chaque réseau.",
			"Mesurer les résultats et ajuster ses actions.",
		},
	},

	// Développement, systèmes et réseaux.
	{
		key: "dwwm", sector: software, weight: 45,
		cert:  rncp("RNCP37674", "Développeur web et web mobile", 5),
		price: [2]int{4000, 9000}, hours: [2]int{420, 1120}, step: 35,
		mix: [3]int{40, 30, 30}, seats: [2]int{12, 20}, weekly: 35, stage: [2]int{6, 10},
		skills: []string{
			"Maquetter des interfaces utilisateur",
			"Réaliser des interfaces web statiques et adaptables",
			"Développer une interface dynamique en JavaScript",
			"Créer une base de données relationnelle",
			"Développer des composants d'accès aux données",
			"Développer la partie back-end d'une application",
			"Déployer une application web",
		},
		titles: []string{
			"Titre professionnel Développeur web et web mobile (DWWM)",
			"Développeur web et web mobile – titre RNCP de niveau 5",
			"Devenir développeur web : titre professionnel DWWM",
			"Formation développeur web full stack (titre DWWM)",
		},
		intros: []string{
			"Formation intensive au métier de développeur web et web mobile, préparant au titre professionnel de niveau 5 (bac+2).",
			"Reconversion vers le développement web : front-end, back-end et bases de données, en mode projet.",
		},
		details: []string{
			"Les stagiaires réalisent plusieurs projets complets, de la maquette au déploiement.",
			"Une période en entreprise de plusieurs semaines précède la présentation au jury.",
		},
		goals: []string{
			"Développer la partie front-end d'une application web ou web mobile sécurisée.",
			"Développer la partie back-end d'une application web ou web mobile sécurisée.",
			"Obtenir le titre professionnel Développeur web et web mobile.",
		},
	},
	{
		key: "cda", sector: software, weight: 25,
		cert:  rncp("RNCP37873", "Concepteur développeur d'applications", 6),
		price: [2]int{6000, 12000}, hours: [2]int{700, 1400}, step: 35,
		mix: [3]int{40, 30, 30}, seats: [2]int{10, 18}, weekly: 35, stage: [2]int{8, 12},
		skills: []string{
			"Concevoir une application organisée en couches",
			"Modéliser une base de données",
			"Développer des composants métier",
			"Concevoir une architecture logicielle",
			"Mettre en place des tests automatisés",
			"Préparer et documenter le déploiement",
			"Travailler en méthode agile",
		},
		titles: []string{
			"Titre professionnel Concepteur développeur d'applications (CDA)",
			"Concepteur développeur d'applications – bac+3/4",
			"CDA : conception et développement d'applications",
		},
		intros: []string{
			"Formation de niveau 6 (bac+3/4) au métier de concepteur développeur d'applications.",
			"Parcours pour concevoir, développer et déployer des applications sécurisées, du besoin du client à la mise en production.",
		},
		details: []string{
			"La pédagogie repose sur des projets menés en équipe, en méthode agile.",
			"Une période en entreprise permet de mener un projet professionnel présenté au jury.",
		},
		goals: []string{
			"Développer une application sécurisée.",
			"Concevoir et développer une application sécurisée organisée en couches.",
			"Préparer le déploiement d'une application sécurisée.",
		},
	},
	{
		key: "tssr", sector: software, weight: 30,
		cert:  rncp("RNCP37682", "Technicien supérieur systèmes et réseaux", 5),
		price: [2]int{5000, 10000}, hours: [2]int{560, 1120}, step: 35,
		mix: [3]int{50, 20, 30}, seats: [2]int{10, 18}, weekly: 35, stage: [2]int{6, 8},
		skills: []string{
			"Assister les utilisateurs",
			"Maintenir un réseau local",
			"Administrer un serveur Windows",
			"Administrer un serveur Linux",
			"Mettre en œuvre la virtualisation",
			"Sécuriser les accès et les sauvegardes",
			"Superviser une infrastructure",
		},
		titles: []string{
			"Titre professionnel Technicien supérieur systèmes et réseaux (TSSR)",
			"TSSR – administration des systèmes et réseaux",
			"Technicien systèmes et réseaux : titre de niveau 5",
		},
		intros: []string{
			"Formation au métier de technicien supérieur systèmes et réseaux, préparant au titre professionnel de niveau 5 (bac+2).",
			"Parcours pour installer, administrer et sécuriser les infrastructures informatiques des entreprises.",
		},
		details: []string{
			"Les travaux pratiques se font sur une infrastructure virtualisée propre à chaque stagiaire.",
			"Une période en entreprise précède la présentation au jury.",
		},
		goals: []string{
			"Assister les utilisateurs en centre de services.",
			"Maintenir, exploiter et sécuriser une infrastructure centralisée.",
			"Maintenir et exploiter une infrastructure distribuée et contribuer à sa sécurisation.",
		},
	},

	// Gestion, commerce, management, création d'entreprise.
	{
		key: "gcf", sector: business, weight: 15,
		cert:  rncp("RNCP38042", "Gestionnaire comptable et fiscal", 5),
		price: [2]int{4000, 9000}, hours: [2]int{490, 980}, step: 35,
		mix: [3]int{35, 35, 30}, seats: [2]int{8, 16}, weekly: 35, stage: [2]int{4, 8},
		skills: []string{
			"Tenir la comptabilité et réaliser les travaux d'inventaire",
			"Établir les déclarations fiscales",
			"Préparer les comptes annuels",
			"Établir les bulletins de paie",
			"Analyser la rentabilité de l'entreprise",
			"Utiliser un logiciel de comptabilité",
		},
		titles: []string{
			"Titre professionnel Gestionnaire comptable et fiscal",
			"Gestionnaire comptable et fiscal – titre de niveau 5",
			"Comptabilité : devenir gestionnaire comptable et fiscal",
		},
		intros: []string{
			"Formation au métier de gestionnaire comptable et fiscal, préparant au titre professionnel de niveau 5 (bac+2).",
			"Parcours complet en comptabilité, fiscalité et paie pour travailler en cabinet ou en entreprise.",
		},
		details: []string{
			"Les cas pratiques se font sur un logiciel de comptabilité du marché.",
			"Une période en entreprise permet de participer à une clôture d'exercice.",
		},
		goals: []string{
			"Assurer les travaux courants de comptabilité et de paie.",
			"Préparer les déclarations fiscales et les comptes annuels.",
			"Obtenir le titre professionnel Gestionnaire comptable et fiscal.",
		},
	},
	{
		key: "comptable-assistant", sector: business, weight: 15,
		cert:  rncp("RNCP37429", "Comptable assistant", 4),
		price: [2]int{3000, 7000}, hours: [2]int{420, 840}, step: 35,
		mix: [3]int{40, 30, 30}, seats: [2]int{8, 16}, weekly: 35, stage: [2]int{4, 6},
		skills: []string{
			"Enregistrer les opérations courantes",
			"Rapprocher les comptes bancaires",
			"Préparer les déclarations de TVA",
			"Réaliser les travaux courants de paie",
			"Classer et archiver les pièces comptables",
			"Utiliser un logiciel de comptabilité",
		},
		titles: []string{
			"Titre professionnel Comptable assistant",
			"Comptable assistant – titre de niveau 4",
			"Devenir comptable assistant",
		},
		intros: []string{
			"Formation au métier de comptable assistant, préparant au titre professionnel de niveau 4 (bac).",
			"Parcours pour tenir la comptabilité courante d'une petite entreprise et préparer la paie.",
		},
		details: []string{
			"Les cas pratiques se font sur un logiciel de comptabilité du marché.",
			"Une période en entreprise complète la formation.",
		},
		goals: []string{
			"Assurer les travaux courants de comptabilité.",
			"Préparer la paie et les déclarations sociales courantes.",
			"Obtenir le titre professionnel Comptable assistant.",
		},
	},
	{
		key: "secretaire-assistant", sector: business, weight: 12,
		cert:  rncp("RNCP37949", "Secrétaire assistant", 4),
		price: [2]int{3000, 6500}, hours: [2]int{420, 840}, step: 35,
		mix: [3]int{40, 30, 30}, seats: [2]int{8, 16}, weekly: 35, stage: [2]int{4, 6},
		skills: []string{
			"Produire des documents professionnels",
			"Accueillir et orienter les visiteurs",
			"Gérer un agenda et organiser des réunions",
			"Assurer le suivi administratif des achats et des ventes",
			"Assurer le suivi administratif du personnel",
			"Classer et archiver",
		},
		titles: []string{
			"Titre professionnel Secrétaire assistant",
			"Secrétaire assistant – titre de niveau 4",
			"Devenir secrétaire assistant",
		},
		intros: []string{
			"Formation au métier de secrétaire assistant, préparant au titre professionnel de niveau 4 (bac).",
			"Parcours pour assurer le secrétariat et l'assistance administrative d'une entreprise ou d'un service.",
		},
		details: []string{
			"Les mises en situation reproduisent le quotidien d'un secrétariat.",
			"Une période en entreprise complète la formation.",
		},
		goals: []string{
			"Assister une équipe dans la communication des informations et l'organisation des activités.",
			"Traiter les opérations administratives liées à la gestion commerciale et aux ressources humaines.",
			"Obtenir le titre professionnel Secrétaire assistant.",
		},
	},
	{
		key: "conseiller-vente", sector: business, weight: 14,
		cert:  rncp("RNCP37098", "Conseiller de vente", 4),
		price: [2]int{2500, 6000}, hours: [2]int{350, 700}, step: 35,
		mix: [3]int{60, 10, 30}, seats: [2]int{8, 16}, weekly: 35, stage: [2]int{4, 6},
		skills: []string{
			"Accueillir et conseiller le client",
			"Mettre en valeur les produits",
			"Conduire un entretien de vente",
			"Gérer les stocks et le réassort",
			"Encaisser et fidéliser la clientèle",
			"Participer à l'animation commerciale du magasin",
		},
		titles: []string{
			"Titre professionnel Conseiller de vente",
			"Conseiller de vente – titre de niveau 4",
			"Devenir vendeur conseil en magasin",
		},
		intros: []string{
			"Formation au métier de conseiller de vente, préparant au titre professionnel de niveau 4 (bac).",
			"Parcours pour travailler en magasin : accueil, conseil, vente et tenue du rayon.",
		},
		details: []string{
			"Les jeux de rôle filmés permettent de travailler l'entretien de vente.",
			"Une période en entreprise complète la formation.",
		},
		goals: []string{
			"Contribuer à l'amélioration de l'expérience client dans un point de vente.",
			"Conduire un entretien de vente jusqu'à sa conclusion.",
			"Obtenir le titre professionnel Conseiller de vente.",
		},
	},
	{
		key: "management", sector: business, weight: 20,
		cert:  rs("RS5366", "Manager une équipe au quotidien"),
		price: [2]int{1200, 4000}, hours: [2]int{14, 70}, step: 7,
		mix: [3]int{45, 25, 30}, seats: [2]int{6, 12}, weekly: 7,
		skills: []string{
			"Fixer des objectifs et en assurer le suivi",
			"Conduire un entretien individuel",
			"Animer une réunion d'équipe",
			"Déléguer et responsabiliser",
			"Gérer les tensions et les conflits",
			"Accompagner le changement",
		},
		titles: []string{
			"Manager une équipe : les fondamentaux",
			"Management de proximité – certification",
			"Prise de poste de manager",
		},
		intros: []string{
			"Formation certifiante pour les managers de proximité, nouvellement nommés ou expérimentés.",
			"Parcours pratique pour animer, motiver et faire progresser une équipe.",
		},
		details: []string{
			"Les journées de formation sont espacées pour mettre en pratique entre deux séances.",
			"Les mises en situation partent de cas réels apportés par les participants.",
		},
		goals: []string{
			"Adopter une posture de manager adaptée à chaque situation.",
			"Organiser le travail de l'équipe et suivre ses résultats.",
			"Prévenir et gérer les situations conflictuelles.",
		},
	},
	{
		key: "creation-entreprise", sector: business, weight: 24,
		cert:  rs("RS5964", "Créer, reprendre et développer une entreprise"),
		price: [2]int{800, 3000}, hours: [2]int{21, 84}, step: 7,
		mix: [3]int{35, 35, 30}, seats: [2]int{6, 14}, weekly: 14,
		skills: []string{
			"Construire et valider son projet d'entreprise",
			"Réaliser une étude de marché",
			"Élaborer un prévisionnel financier",
			"Choisir un statut juridique",
			"Définir sa stratégie commerciale",
			"Piloter son activité",
		},
		titles: []string{
			"Créer son entreprise : du projet au lancement",
			"Création d'entreprise – business plan et financement",
			"Devenir entrepreneur : créer ou reprendre une entreprise",
			"Micro-entreprise : lancer son activité",
		},
		intros: []string{
			"Formation pour construire pas à pas votre projet de création ou de reprise d'entreprise.",
			"Parcours d'accompagnement des créateurs : étude de marché, prévisionnel, statut juridique et démarches.",
		},
		details: []string{
			"Chaque participant repart avec un business plan complet, relu par un formateur.",
			"Des chefs d'entreprise viennent témoigner de leur parcours.",
		},
		goals: []string{
			"Évaluer la faisabilité de son projet d'entreprise.",
			"Construire un business plan et un prévisionnel financier.",
			"Choisir le statut juridique adapté et réussir son lancement.",
		},
	},

	// Santé et services à la personne.
	{
		key: "advf", sector: care, weight: 40,
		cert:  rncp("RNCP37715", "Assistant de vie aux familles", 3),
		price: [2]int{2500, 6000}, hours: [2]int{350, 770}, step: 35,
		mix: [3]int{70, 0, 30}, seats: [2]int{8, 16}, weekly: 35, stage: [2]int{4, 8},
		skills: []string{
			"Entretenir le logement et le linge",
			"Accompagner une personne dans les actes de la vie quotidienne",
			"Préparer les repas",
			"Relayer les parents dans la prise en charge des enfants",
			"Prévenir les risques à domicile",
			"Communiquer avec la personne et son entourage",
		},
		titles: []string{
			"Titre professionnel Assistant de vie aux familles (ADVF)",
			"ADVF – aide à domicile",
			"Devenir assistant de vie aux familles",
		},
		intros: []string{
			"Formation au métier d'assistant de vie aux familles, préparant au titre professionnel de niveau 3.",
			"Parcours pour travailler au domicile de personnes âgées, en situation de handicap ou de familles avec de jeunes enfants.",
		},
		details: []string{
			"Un appartement pédagogique permet de s'exercer dans des conditions réelles.",
			"Des périodes en entreprise auprès de services d'aide à domicile complètent la formation.",
		},
		goals: []string{
			"Entretenir le logement et le linge d'un particulier.",
			"Accompagner la personne dans les actes essentiels du quotidien.",
			"Relayer les parents dans la prise en charge de leurs enfants à domicile.",
		},
	},
	{
		key: "aide-soignant", sector: care, weight: 30,
		cert:  rncp("RNCP35830", "Diplôme d'État d'aide-soignant", 4),
		price: [2]int{5000, 9000}, hours: [2]int{700, 1540}, step: 35,
		mix: [3]int{100, 0, 0}, seats: [2]int{12, 20}, weekly: 35,
		skills: []string{
			"Accompagner la personne dans les activités de la vie quotidienne",
			"Évaluer l'état clinique d'une personne",
			"Mettre en œuvre des soins adaptés",
			"Assurer l'hygiène des locaux et du matériel",
			"Transmettre les informations au sein de l'équipe de soins",
			"Travailler en équipe pluriprofessionnelle",
		},
		titles: []string{
			"Diplôme d'État d'aide-soignant (DEAS)",
			"Formation d'aide-soignant – cursus complet",
			"Aide-soignant : cursus partiel",
		},
		intros: []string{
			"Formation préparant au diplôme d'État d'aide-soignant, alternant enseignements en institut et stages cliniques.",
			"Parcours vers le métier d'aide-soignant, en cursus complet ou partiel selon votre expérience et vos diplômes.",
		},
		details: []string{
			"Les stages se déroulent en établissement de santé et en structure médico-sociale.",
			"Les séances pratiques ont lieu dans une salle de soins reconstituée.",
		},
		goals: []string{
			"Accompagner les personnes dans les activités de leur vie quotidienne.",
			"Réaliser des soins adaptés à l'état clinique de la personne.",
			"Obtenir le diplôme d'État d'aide-soignant.",
		},
	},

	// Hôtellerie-restauration.
	{
		key: "haccp", sector: food, weight: 50,
		cert:  rs("RS5538", "Hygiène alimentaire adaptée à l'activité des établissements de restauration commerciale"),
		price: [2]int{200, 600}, hours: [2]int{14, 21}, step: 7,
		mix: [3]int{50, 30, 20}, seats: [2]int{6, 14}, weekly: 35,
		skills: []string{
			"Connaître les dangers microbiologiques",
			"Appliquer les bonnes pratiques d'hygiène",
			"Mettre en œuvre le plan de maîtrise sanitaire",
			"Respecter la chaîne du froid",
			"Assurer la traçabilité des produits",
			"Préparer un contrôle sanitaire",
		},
		titles: []string{
			"Hygiène alimentaire HACCP en restauration commerciale",
			"Formation HACCP – {h} h",
			"HACCP : hygiène et sécurité alimentaire",
		},
		intros: []string{
			"Formation à l'hygiène alimentaire exigée dans les établissements de restauration commerciale, fondée sur la méthode HACCP.",
			"Stage pour maîtriser les règles d'hygiène en cuisine et préparer sereinement un contrôle sanitaire.",
		},
		details: []string{
			"Les exemples portent sur la restauration traditionnelle, rapide et la vente à emporter.",
			"Une attestation reconnue par les services de contrôle est remise à l'issue de la formation.",
		},
		goals: []string{
			"Identifier les dangers alimentaires et les moyens de les maîtriser.",
			"Appliquer la réglementation sanitaire en restauration commerciale.",
			"Mettre en place un plan de maîtrise sanitaire dans son établissement.",
		},
	},
	{
		key: "commis-cuisine", sector: food, weight: 30,
		cert:  rncp("RNCP37859", "Commis de cuisine", 3),
		price: [2]int{3000, 7000}, hours: [2]int{420, 840}, step: 35,
		mix: [3]int{100, 0, 0}, seats: [2]int{8, 14}, weekly: 35, stage: [2]int{4, 6},
		skills: []string{
			"Préparer les légumes, les viandes et les poissons",
			"Réaliser les cuissons de base",
			"Dresser les assiettes",
			"Appliquer les règles d'hygiène en cuisine",
			"Entretenir son poste de travail",
			"Réaliser des desserts simples",
		},
		titles: []string{
			"Titre professionnel Commis de cuisine",
			"Devenir commis de cuisine",
			"Cuisine : titre professionnel de niveau 3",
		},
		intros: []string{
			"Formation au métier de commis de cuisine, préparant au titre professionnel de niveau 3.",
			"Parcours pratique en cuisine professionnelle pour intégrer une brigade en restauration traditionnelle ou collective.",
		},
		details: []string{
			"Les stagiaires cuisinent chaque jour dans une cuisine pédagogique équipée comme en restaurant.",
			"Une période en entreprise permet de travailler en brigade.",
		},
		goals: []string{
			"Réaliser les préparations préliminaires et les cuissons de base.",
			"Assembler et dresser des plats en respectant les fiches techniques.",
			"Obtenir le titre professionnel Commis de cuisine.",
		},
	},
}

// bySector lists the indexes of families per sector.
var bySector = func() (s [nSectors][]int) {
	for i, f := range families {
		s[f.sector] = append(s[f.sector], i)
	}
	return s
}()

// Sentences on how an offer is delivered, per modality, and closing
// sentences that any offer may carry.
var (
	inPersonSentences = []string{
		"La formation se déroule en présentiel dans nos locaux {aville}, en petits groupes.",
		"Les séances ont lieu {aville}, dans des salles équipées et accessibles aux personnes à mobilité réduite.",
		"Formation en présentiel {aville}, avec un formateur issu du métier.",
	}
	mixedSentences = []string{
		"La formation alterne des séances en présentiel {aville} et des modules en ligne à suivre à votre rythme.",
		"Le parcours combine des journées {aville} et des classes virtuelles.",
	}
	distanceSentences = []string{
		"Formation 100 % à distance : plateforme accessible 7 j/7 et classes virtuelles avec un formateur.",
		"Le parcours se suit en ligne, à votre rythme, avec un formateur référent joignable chaque semaine.",
		"Formation à distance associant vidéos, exercices corrigés et rendez-vous individuels en visioconférence.",
	}
	drivingSentences = []string{
		"Les leçons partent de notre agence {aville}, avec un enseignant de la conduite diplômé.",
		"Les leçons de conduite sont individuelles, au départ de notre agence {aville}.",
	}
	closings = []string{
		"Le passage de la certification est compris dans le prix.",
		"Un entretien préalable permet de vérifier les prérequis et d'adapter le parcours.",
		"Les personnes en situation de handicap peuvent contacter notre référent handicap pour adapter la formation.",
		"Une attestation de fin de formation est remise à chaque stagiaire.",
	}
)
