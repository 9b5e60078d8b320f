// Package web serves the French HTML pages of Parcours: the home page, the
// search results, the browse pages by region and certification, the offer
// and provider pages, the sign-in (OpenID Connect for learners and for
// members of organisations, and the demo sign-in), the learner's account,
// contact details and dossiers, the provider's inbox, and the
// organisation pages (members, invitations). Pages are rendered on the server
// with html/template and work without JavaScript; templates and static
// assets are embedded in the binary.
//
// The pages read the catalogue from the search index (published offers
// only) and from the marketplace store (providers, and unpublished offers
// for their own provider), and never write to them. Package api mounts the
// pages on its router, behind its request IDs, access logs, rate limits and
// security headers.
package web
