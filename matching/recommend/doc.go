// Package recommend recommends trainings to workers ("a Netflix of
// training"), for three reasons that can be shown to them:
//
//   - similar: people with a profile close to theirs followed it
//     (collaborative filtering on implicit feedback: alternating least
//     squares solved by conjugate gradient, hand-written in als.go, and
//     profile groups clustering the accounts' factors, cf.go);
//   - skills: it teaches skills they lack for the occupations they aim at
//     or that are near their skills (the skills graph);
//   - local: trainings of its domain lead back to work in their area, where
//     the occupations it prepares for are hiring (France Travail outcomes
//     and BMO hiring needs, imported into the skills graph by ingest).
//
// Its inputs are the marketplace's dossiers (requested, accepted,
// completed, evaluated, with the evaluation), the skills the graph knows a
// worker holds, the target occupations and home commune the worker gives
// (Preferences), and the offers they viewed when they consented.
// Rank blends the three into a top-K per account with the reasons; the
// batch (batch.go) retrains the model and recomputes the accounts whose
// inputs changed, by shards, and stores the results (Store) that the API,
// the learner's page and the embeddable widget serve.
//
// Rules every list obeys: nothing the worker already has a dossier on, no
// full or past session, no unpublished offer or offer a control flagged;
// nothing a provider pays for weighs in a score; equal scores are ordered
// by the keyed hash search uses, and one provider fills at most a few
// places.
package recommend
