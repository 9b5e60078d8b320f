// Package search is the catalogue's in-memory search index: built from the
// store at start, kept current by observing catalogue writes
// (marketplace.Observer), and queried by the API and the web pages.
//
// Relevance comes from the query alone. Offers that match a query equally
// well are ordered by a keyed hash of the offer and the query, never by
// creation date, price or provider, so that no provider is systematically
// shown first. It also keeps the counts by region and certification that
// the catalogue's browse pages show.
package search
