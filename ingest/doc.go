// Package ingest will hold the importers of the real open-data formats
// (CPF catalogue, RNCP/RS, ROME, ESCO, employer records); nothing is
// implemented here yet. The gazetteer of communes is built by geo/gen.
package ingest
