// Package demo builds the catalogue of demo mode: training providers,
// their offers and the sessions of those offers, realistic enough to try
// search, maps and the provider pages on, and entirely synthetic. No record
// describes a real organisation: names are made from a town and a
// specialty, SIRET and NDA numbers are drawn at random (well-formed, with
// valid Luhn keys), websites and e-mail addresses are under the reserved
// .example top-level domain.
//
// The set is deterministic: Catalogue draws everything from a PCG generator
// seeded by Options.Seed, in a fixed order, with integer arithmetic only,
// and dates everything relative to Options.Now, so the same Options give
// the same records on every machine. IDs are UUIDs of version 7 made from
// each record's creation instant and the generator, so that ID order is
// creation order as with marketplace.NewID.
//
// What is real: the communes, their departments, regions and populations
// come from package geo; providers settle in departments in proportion to
// their population (at least one per department), in towns weighted by
// population, and teach mostly there and in neighbouring departments of the
// same region. The 35 families of training are real certifications with
// their register, European level, usual hours, prices, skills and ways of
// teaching; the Qualiopi certifying bodies are real ones. Some
// certification codes are the real ones (see families); the others are
// only plausible. The rules of the marketplace hold for every record:
// everything passes the Validate methods, and providers without a valid
// Qualiopi certificate (about 7 %) publish nothing.
//
// The catalogue goes to marketplace.CatalogueService.Load when demo mode is
// on, hence to the store and the search index.
package demo
