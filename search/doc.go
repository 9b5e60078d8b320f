// Package search is the marketplace's fair search: an in-memory index of the
// published offers, built from the store at start (Index.Build), kept
// current by observing catalogue writes (it is a marketplace.Observer: each
// write updates it in place, no rebuild), and queried by the API
// (GET /api/v1/search/offers) and the web pages.
//
// # Relevance from the query alone
//
// Offer texts and queries go through the same French analysis (analyze.go):
// elisions dropped, accents folded, stop and sales words removed, a light
// stemmer that merges plural and feminine forms only (stem.go), acronyms
// learners type (DWWM, SST...) tied to their phrases, and synonyms. A query
// word not in the index may match through one typo (two for long words) or
// as a prefix (fuzzy.go); words holding digits never do.
//
// A query word found in an offer's title, certification or skills earns
// strongPoints (30), one found only in its description or objectives
// weakPoints (10), two thirds of that through a typo or a prefix. Each
// field counts a word once, and a field with more distinct words than its
// allowance earns proportionally less per word: repeating or stuffing
// keywords does not pay. The score is points over the most the query can
// earn, and the tier, 1 to 4, is ceil(4 × score): a higher tier always
// comes first. Who searches, and anything a provider could buy, never
// enter it. Place, price, duration, modality, certification and session
// dates are filters; sorting by price, distance or start date is an
// explicit choice.
//
// # Random order among equals
//
// Inside a tier, results are ordered by a keyed hash of the client address
// (IPv6 by its /64), the normalised query (sorted stems and filters) and
// the result (order.go). The key of each period (a day by default) is
// HMAC-SHA-256(secret, period number): the same client asking again sees
// the same order, on every page (cursors carry their period), another
// client another order, and all replicas sharing the secret agree.
//
// Offers of one provider for one certification are one result, placed by
// the hash of the group (not the least hash of its members, which would
// favour a provider publishing in many towns) and shown by its best
// member, with the count and communes of the others. A page holds at most
// Options.ProviderCap results of one provider while results of the same
// tier from others can take their place.
//
// # Neutrality indicators
//
// QueryLog keeps recent queries, anonymised; Monitor replays them from
// synthetic client addresses of the documentation ranges and computes the
// exposure disparity and the systematic precedence (ExposureFormula,
// PrecedenceFormula), 0 meaning neutral. The service runs it hourly and
// publishes the figures.
//
// # Layout and cost
//
// Each offer has a document number; filters read columns (price, hours,
// modality, region, department, certification, coordinates, session days)
// and each stem has a sorted postings list of (document, points). Groups
// keep their members, regions, departments and certifications their
// documents, and the whole index its facet counts, so that a search only
// touches the documents that match and hashes only the groups it ranks.
// On the 300,000-offer benchmark catalogue the index holds about 1.6 KB
// of heap per offer (postings, columns, the offer's summary and its
// sessions), besides the title, skills and certification strings it
// shares with the offers; see docs/benchmarks-search.md for the measured
// latencies and indexing time.
package search
