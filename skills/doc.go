// Package skills is the skills graph: skills, occupations (ROME, ESCO),
// certifications (RNCP, RS), training offers, job offers and people, with
// the relations requires (essential or optional), teaches, broader,
// related, prepares and has-skill (with a level and its evidence, attested
// or declared). It answers the queries that recommendations, gap analysis
// and job matching stand on: the gap between a person and an occupation or
// a job offer, the trainings that close it, the occupations a person could
// move to ("passerelles"), and the neighbours of a skill.
//
// Graph is the interface; Embedded, the default backend, keeps every record
// in a Store (the bbolt file, store/bolt) and in memory, where the queries
// run in Go. store/neo4j runs the same queries in Cypher. The records come
// from package ingest (ROME, ESCO, RNCP, employment outcomes, BMO) and from
// the starter referential of package skills/starter; training offers come
// from the marketplace, which the graph observes.
package skills
