// Package matching holds the two-sided job matching (this package) and the
// training recommendations (package matching/recommend).
//
// Job matching: employers (identified by SIRET) post job offers whose skills
// are extracted from their text (Extractor) and confirmed by the employer;
// each post is screened for discrimination (controls.Screener) before it is
// published. Workers opt in with their preferences (Candidate). A scheduled
// job (Feeds) scores candidate and offer pairs with a reciprocal score
// (Score: the harmonic mean of the worker's fit to the job and the job's fit
// to the worker) and spreads daily proposals under per-offer and
// per-candidate caps (Plan). Each side likes or passes (Service); a mutual
// like makes a Match, which alone reveals the candidate's contact details
// to the employer and opens a message thread. Until then the employer sees
// a pseudonym and the candidate's skills, never a name, an address, an age
// or a photo.
//
// Data comes from the skills graph (the skills a person holds, attested or
// declared) and the gazetteer (commune coordinates); it is kept by a Store
// (store/bolt, store/mongo).
package matching
