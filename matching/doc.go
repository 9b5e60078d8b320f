// Package matching will hold the training recommendations (collaborative,
// skills-based and local-return recommenders) and the two-sided job
// matching. It consumes the marketplace's dossiers, the career profiles and
// the skills graph; nothing is implemented here yet.
package matching
