package neo4j

import (
	"sort"

	"github.com/parcours/parcours/skills"
)

// Every Cypher statement of the backend is a named constant listed in
// Statements, so that the tests can hand each one to Neo4j's own parser.
// Every value is a parameter: no statement is ever built from data.
//
// Graph nodes all carry the label Node and a unique id, plus the label of
// their kind (Skill, Occupation, Certification, JobOffer, Person). An edge
// may be written before its nodes: it then links placeholder nodes that
// only carry Node, which the queries ignore until the node's record
// arrives and gives it its kind's label, as the embedded graph does.
const (
	// Schema, run at start; idempotent.
	SchemaNodeID       = `CREATE CONSTRAINT parcours_node_id IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE`
	SchemaOfferID      = `CREATE CONSTRAINT parcours_offer_id IF NOT EXISTS FOR (o:Offer) REQUIRE o.id IS UNIQUE`
	SchemaOutcomeKey   = `CREATE CONSTRAINT parcours_outcome_key IF NOT EXISTS FOR (o:Outcome) REQUIRE o.key IS UNIQUE`
	SchemaHiringKey    = `CREATE CONSTRAINT parcours_hiring_key IF NOT EXISTS FOR (h:Hiring) REQUIRE h.key IS UNIQUE`
	SchemaSkillID      = `CREATE INDEX parcours_skill_id IF NOT EXISTS FOR (s:Skill) ON (s.id)`
	SchemaSkillLabel   = `CREATE INDEX parcours_skill_label IF NOT EXISTS FOR (s:Skill) ON (s.labelFolded)`
	SchemaOccupationID = `CREATE INDEX parcours_occupation_id IF NOT EXISTS FOR (o:Occupation) ON (o.id)`
	SchemaPersonID     = `CREATE INDEX parcours_person_id IF NOT EXISTS FOR (p:Person) ON (p.id)`
	SchemaJobOfferID   = `CREATE INDEX parcours_job_offer_id IF NOT EXISTS FOR (j:JobOffer) ON (j.id)`
	SchemaOfferCert    = `CREATE INDEX parcours_offer_certification IF NOT EXISTS FOR (o:Offer) ON (o.certification)`

	// Writes of nodes: each returns how many rows changed something.
	UpsertSkills = `UNWIND $rows AS row
MERGE (n:Node {id: row.id})
WITH n, row, coalesce(n:Skill AND n.label = row.label AND n.kind = row.kind AND n.altLabels = row.altLabels, false) AS same
SET n:Skill, n.label = row.label, n.labelFolded = row.labelFolded, n.kind = row.kind, n.altLabels = row.altLabels
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertOccupations = `UNWIND $rows AS row
MERGE (n:Node {id: row.id})
WITH n, row, coalesce(n:Occupation AND n.label = row.label AND n.domain = row.domain AND n.altLabels = row.altLabels, false) AS same
SET n:Occupation, n.label = row.label, n.domain = row.domain, n.altLabels = row.altLabels
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertCertifications = `UNWIND $rows AS row
MERGE (n:Node {id: row.code})
WITH n, row, coalesce(n:Certification AND n.title = row.title AND n.level = row.level AND n.active = row.active
  AND n.formacodes = row.formacodes AND n.certifiers = row.certifiers, false) AS same
SET n:Certification, n.title = row.title, n.level = row.level, n.active = row.active,
  n.formacodes = row.formacodes, n.certifiers = row.certifiers
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertJobOffers = `UNWIND $rows AS row
MERGE (n:Node {id: row.id})
WITH n, row, coalesce(n:JobOffer AND n.title = row.title AND n.occupation = row.occupation, false) AS same
SET n:JobOffer, n.title = row.title, n.occupation = row.occupation
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertOutcomes = `UNWIND $rows AS row
MERGE (o:Outcome {key: row.key})
WITH o, row, coalesce(o.formacode = row.formacode AND o.label = row.label AND o.areaKind = row.areaKind AND o.area = row.area
  AND o.year = row.year AND o.leavers = row.leavers AND o.ratePerMil = row.ratePerMil AND o.suppressed = row.suppressed, false) AS same
SET o.formacode = row.formacode, o.label = row.label, o.areaKind = row.areaKind, o.area = row.area,
  o.year = row.year, o.leavers = row.leavers, o.ratePerMil = row.ratePerMil, o.suppressed = row.suppressed
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertHiring = `UNWIND $rows AS row
MERGE (h:Hiring {key: row.key})
WITH h, row, coalesce(h.year = row.year AND h.job = row.job AND h.jobLabel = row.jobLabel AND h.area = row.area
  AND h.areaLabel = row.areaLabel AND h.region = row.region AND h.projects = row.projects
  AND h.difficult = row.difficult AND h.seasonal = row.seasonal, false) AS same
SET h.year = row.year, h.job = row.job, h.jobLabel = row.jobLabel, h.area = row.area, h.areaLabel = row.areaLabel,
  h.region = row.region, h.projects = row.projects, h.difficult = row.difficult, h.seasonal = row.seasonal
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`

	// Writes of edges, one statement per relation type (a type cannot be a
	// parameter).
	UpsertRequires = `UNWIND $rows AS row
MERGE (a:Node {id: row.from})
MERGE (b:Node {id: row.to})
WITH a, b, row
OPTIONAL MATCH (a)-[old:REQUIRES]->(b)
WITH a, b, row, coalesce(old.essential = row.essential, false) AS same
MERGE (a)-[r:REQUIRES]->(b)
SET r.essential = row.essential
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertTeaches = `UNWIND $rows AS row
MERGE (a:Node {id: row.from})
MERGE (b:Node {id: row.to})
WITH a, b, row
OPTIONAL MATCH (a)-[old:TEACHES]->(b)
WITH a, b, old IS NOT NULL AS same
MERGE (a)-[:TEACHES]->(b)
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertBroader = `UNWIND $rows AS row
MERGE (a:Node {id: row.from})
MERGE (b:Node {id: row.to})
WITH a, b, row
OPTIONAL MATCH (a)-[old:BROADER]->(b)
WITH a, b, old IS NOT NULL AS same
MERGE (a)-[:BROADER]->(b)
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertRelated = `UNWIND $rows AS row
MERGE (a:Node {id: row.from})
MERGE (b:Node {id: row.to})
WITH a, b, row
OPTIONAL MATCH (a)-[old:RELATED]->(b)
WITH a, b, old IS NOT NULL AS same
MERGE (a)-[:RELATED]->(b)
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertPrepares = `UNWIND $rows AS row
MERGE (a:Node {id: row.from})
MERGE (b:Node {id: row.to})
WITH a, b, row
OPTIONAL MATCH (a)-[old:PREPARES]->(b)
WITH a, b, old IS NOT NULL AS same
MERGE (a)-[:PREPARES]->(b)
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`
	UpsertHasSkill = `UNWIND $rows AS row
MERGE (a:Node {id: row.from})
MERGE (b:Node {id: row.to})
SET a:Person
WITH a, b, row
OPTIONAL MATCH (a)-[old:HAS_SKILL]->(b)
WITH a, b, row, coalesce(old.level = row.level AND old.evidence = row.evidence, false) AS same
MERGE (a)-[r:HAS_SKILL]->(b)
SET r.level = row.level, r.evidence = row.evidence
RETURN sum(CASE WHEN same THEN 0 ELSE 1 END) AS written`

	DeleteRequires = `UNWIND $rows AS row
MATCH (:Node {id: row.from})-[r:REQUIRES]->(:Node {id: row.to})
DELETE r
RETURN count(r) AS written`
	DeleteTeaches = `UNWIND $rows AS row
MATCH (:Node {id: row.from})-[r:TEACHES]->(:Node {id: row.to})
DELETE r
RETURN count(r) AS written`
	DeleteBroader = `UNWIND $rows AS row
MATCH (:Node {id: row.from})-[r:BROADER]->(:Node {id: row.to})
DELETE r
RETURN count(r) AS written`
	DeleteRelated = `UNWIND $rows AS row
MATCH (:Node {id: row.from})-[r:RELATED]->(:Node {id: row.to})
DELETE r
RETURN count(r) AS written`
	DeletePrepares = `UNWIND $rows AS row
MATCH (:Node {id: row.from})-[r:PREPARES]->(:Node {id: row.to})
DELETE r
RETURN count(r) AS written`
	DeleteHasSkill = `UNWIND $rows AS row
MATCH (:Node {id: row.from})-[r:HAS_SKILL]->(:Node {id: row.to})
DELETE r
RETURN count(r) AS written`

	// Training offers, mirrored from the marketplace: only published ones.
	UpsertOffers = `UNWIND $rows AS row
MERGE (o:Offer {id: row.id})
SET o.providerId = row.providerId, o.title = row.title, o.certification = row.certification,
  o.priceCents = row.priceCents, o.hours = row.hours, o.region = row.region`
	DeleteOffer     = `MATCH (o:Offer {id: $id}) DETACH DELETE o`
	DeleteAllOffers = `MATCH (o:Offer) DETACH DELETE o`

	// Queries.
	QuerySkill = `MATCH (s:Skill {id: $id})
RETURN s.id AS id, s.label AS label, s.kind AS kind, s.altLabels AS altLabels`
	QuerySkillsByLabel = `MATCH (s:Skill {labelFolded: $folded})
RETURN s.id AS id, s.label AS label, s.kind AS kind, s.altLabels AS altLabels
ORDER BY id`
	QueryOccupation = `MATCH (o:Occupation {id: $id})
RETURN o.id AS id, o.label AS label, o.domain AS domain, o.altLabels AS altLabels`
	QueryOccupations = `MATCH (o:Occupation)
RETURN o.id AS id, o.label AS label, o.domain AS domain, o.altLabels AS altLabels`
	QueryRequirements = `MATCH (t:Node {id: $id})-[r:REQUIRES]->(s:Skill)
RETURN s.id AS id, s.label AS label, s.kind AS kind, s.altLabels AS altLabels, r.essential AS essential`
	QueryPreparing = `MATCH (c:Certification)-[:PREPARES]->(o:Occupation {id: $id})
RETURN c.id AS code, c.title AS title, c.level AS level, c.active AS active, c.formacodes AS formacodes, c.certifiers AS certifiers
ORDER BY code`
	QueryNeighbours = `MATCH (:Skill {id: $id})-[:BROADER]->(n:Skill)
RETURN n.id AS id, n.label AS label, n.kind AS kind, n.altLabels AS altLabels, 'broader' AS relation
UNION
MATCH (:Skill {id: $id})<-[:BROADER]-(n:Skill)
RETURN n.id AS id, n.label AS label, n.kind AS kind, n.altLabels AS altLabels, 'narrower' AS relation
UNION
MATCH (:Skill {id: $id})-[:RELATED]-(n:Skill)
RETURN n.id AS id, n.label AS label, n.kind AS kind, n.altLabels AS altLabels, 'related' AS relation`
	QueryNear = `MATCH (o:Occupation {id: $id})-[:REQUIRES]->(s:Skill)<-[:REQUIRES]-(other:Occupation)
WHERE other <> o
WITH o, other, count(DISTINCT s) AS shared
MATCH (o)-[:REQUIRES]->(mine:Skill)
WITH other, shared, count(DISTINCT mine) AS nMine
MATCH (other)-[:REQUIRES]->(theirs:Skill)
WITH other, shared, nMine, count(DISTINCT theirs) AS nTheirs
RETURN other.id AS id, other.label AS label, other.domain AS domain, other.altLabels AS altLabels,
  shared, toFloat(shared) / (nMine + nTheirs - shared) AS similarity`
	QueryHeld = `MATCH (:Person {id: $person})-[h:HAS_SKILL]->(s:Skill)
RETURN s.id AS id, s.label AS label, s.kind AS kind, s.altLabels AS altLabels, h.level AS level, h.evidence AS evidence`
	QueryKnownSkills = `UNWIND $ids AS id
OPTIONAL MATCH (s:Skill {id: id})
RETURN id, s IS NOT NULL AS known`
	QueryTarget = `MATCH (t:Node {id: $id})
WHERE (t:Occupation AND $kind = 'occupation') OR (t:JobOffer AND $kind = 'job_offer')
RETURN coalesce(t.label, t.title) AS label`
	// QueryCoverage lists, for each skill a person's skills cover (each
	// held skill and up to three levels of broader skills), the held skill
	// and its evidence.
	QueryCoverage = `MATCH (:Person {id: $person})-[h:HAS_SKILL]->(held:Skill)-[:BROADER*0..3]->(c:Skill)
RETURN DISTINCT c.id AS covered, held.id AS held, h.evidence AS evidence`
	// QueryTrainings ranks the offers teaching the needed skills: each
	// need carries its weight (2 essential, 1 optional).
	QueryTrainings = `UNWIND $need AS n
MATCH (c:Node)-[:TEACHES]->(:Node {id: n.id})
WITH c, sum(n.weight) AS coverage, collect(n.id) AS teaches
MATCH (o:Offer {certification: c.id})
WHERE $region = '' OR o.region = $region
WITH o, coverage, teaches
ORDER BY coverage DESC, o.priceCents, o.hours, o.id
WITH o.providerId AS provider, collect({o: o, coverage: coverage, teaches: teaches})[..$perProvider] AS best
UNWIND best AS b
WITH b.o AS o, b.coverage AS coverage, b.teaches AS teaches
RETURN o.id AS id, o.providerId AS providerId, o.title AS title, o.certification AS certification,
  o.priceCents AS priceCents, o.hours AS hours, o.region AS region, coverage, teaches
ORDER BY coverage DESC, priceCents, hours, id
LIMIT $limit`
	QueryPasserelles = `OPTIONAL MATCH (:Person {id: $person})-[:HAS_SKILL]->(:Skill)-[:BROADER*0..3]->(c:Skill)
WITH collect(DISTINCT c) AS covered
MATCH (o:Occupation)-[r:REQUIRES]->(s:Skill)
WITH o, count(s) AS required,
  sum(CASE WHEN s IN covered THEN 1 ELSE 0 END) AS nCovered,
  sum(CASE WHEN NOT s IN covered AND r.essential THEN 1 ELSE 0 END) AS missingEssential
WHERE nCovered > 0
RETURN o.id AS id, o.label AS label, o.domain AS domain, o.altLabels AS altLabels,
  required, nCovered, missingEssential`
	QueryCounts = `RETURN COUNT { (:Skill) } AS skills, COUNT { (:Occupation) } AS occupations,
  COUNT { (:Certification) } AS certifications, COUNT { (:JobOffer) } AS jobOffers, COUNT { (:Offer) } AS offers,
  COUNT { (:Node)-[]->(:Node) } AS edges, COUNT { (:Outcome) } AS outcomes, COUNT { (:Hiring) } AS hiring`
	// DeleteEverything empties the database: only the integration tests
	// run it, on a database of their own.
	DeleteEverything = `MATCH (n) DETACH DELETE n`
)

// schema is run in this order at start.
var schema = []string{SchemaNodeID, SchemaOfferID, SchemaOutcomeKey, SchemaHiringKey, SchemaSkillID, SchemaSkillLabel,
	SchemaOccupationID, SchemaPersonID, SchemaJobOfferID, SchemaOfferCert}

var upsertEdge = map[skills.Relation]string{
	skills.Requires: UpsertRequires, skills.Teaches: UpsertTeaches, skills.Broader: UpsertBroader,
	skills.Related: UpsertRelated, skills.Prepares: UpsertPrepares, skills.HasSkill: UpsertHasSkill,
}

var deleteEdge = map[skills.Relation]string{
	skills.Requires: DeleteRequires, skills.Teaches: DeleteTeaches, skills.Broader: DeleteBroader,
	skills.Related: DeleteRelated, skills.Prepares: DeletePrepares, skills.HasSkill: DeleteHasSkill,
}

// statements names every statement of the package.
var statements = map[string]string{
	"SchemaNodeID": SchemaNodeID, "SchemaOfferID": SchemaOfferID, "SchemaOutcomeKey": SchemaOutcomeKey,
	"SchemaHiringKey": SchemaHiringKey, "SchemaSkillID": SchemaSkillID, "SchemaSkillLabel": SchemaSkillLabel,
	"SchemaOccupationID": SchemaOccupationID, "SchemaPersonID": SchemaPersonID, "SchemaJobOfferID": SchemaJobOfferID,
	"SchemaOfferCert": SchemaOfferCert,
	"UpsertSkills":    UpsertSkills, "UpsertOccupations": UpsertOccupations, "UpsertCertifications": UpsertCertifications,
	"UpsertJobOffers": UpsertJobOffers, "UpsertOutcomes": UpsertOutcomes, "UpsertHiring": UpsertHiring,
	"UpsertRequires": UpsertRequires, "UpsertTeaches": UpsertTeaches, "UpsertBroader": UpsertBroader,
	"UpsertRelated": UpsertRelated, "UpsertPrepares": UpsertPrepares, "UpsertHasSkill": UpsertHasSkill,
	"DeleteRequires": DeleteRequires, "DeleteTeaches": DeleteTeaches, "DeleteBroader": DeleteBroader,
	"DeleteRelated": DeleteRelated, "DeletePrepares": DeletePrepares, "DeleteHasSkill": DeleteHasSkill,
	"UpsertOffers": UpsertOffers, "DeleteOffer": DeleteOffer, "DeleteAllOffers": DeleteAllOffers,
	"QuerySkill": QuerySkill, "QuerySkillsByLabel": QuerySkillsByLabel, "QueryOccupation": QueryOccupation, "QueryOccupations": QueryOccupations,
	"QueryRequirements": QueryRequirements, "QueryPreparing": QueryPreparing, "QueryNeighbours": QueryNeighbours,
	"QueryNear": QueryNear, "QueryHeld": QueryHeld, "QueryKnownSkills": QueryKnownSkills, "QueryTarget": QueryTarget,
	"QueryCoverage": QueryCoverage, "QueryTrainings": QueryTrainings, "QueryPasserelles": QueryPasserelles,
	"QueryCounts": QueryCounts, "DeleteEverything": DeleteEverything,
}

// Statement is one named Cypher statement.
type Statement struct {
	Name, Cypher string
}

// Statements returns every Cypher statement the backend runs, by name.
func Statements() []Statement {
	out := make([]Statement, 0, len(statements))
	for n, c := range statements {
		out = append(out, Statement{Name: n, Cypher: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
