// Package ingest imports the public referentials and catalogues a real
// deployment downloads, in their published formats: the CPF catalogue
// extract of the Caisse des Dépôts (into the marketplace), the RNCP/RS
// export of France Compétences, the ROME 4.0 of France Travail, ESCO v1.2
// of the European Commission, France Travail's employment outcomes after
// training and its BMO hiring survey (into the skills graph).
//
// Every importer streams its files (nothing is loaded whole), detects
// each file's encoding (UTF-8 with or without a byte order mark, or
// Windows-1252) and delimiter, reports every bad row with its file, line
// and reason and skips it without stopping, and is idempotent: records
// already stored as they are count as unchanged and are not written, so
// importing the same file twice changes nothing. The gazetteer of communes
// is built by geo/gen, not here. The command is `parcours ingest KIND FILE...`.
package ingest
