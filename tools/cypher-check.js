// cypher-check reads Cypher statements as JSON on stdin, an array of
// {"name": ..., "cypher": ...}, parses each with Neo4j's own Cypher
// language support (@neo4j-cypher/language-support, installed by
// scripts/install-test-deps under build/npm) and prints a JSON array of
// {"name": ..., "errors": [...], "warnings": [...]} on stdout. Undeclared
// parameters are not errors: the statements take their values as
// parameters by design. Run it with NODE_PATH pointing at the
// node_modules folder that holds the package.
'use strict';

const ls = require('@neo4j-cypher/language-support');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const statements = JSON.parse(input);
  const out = statements.map(({ name, cypher }) => {
    const { diagnostics } = ls.lintCypherQuery(cypher, {});
    const errors = [];
    const warnings = [];
    for (const d of diagnostics) {
      if (/^Parameter \$\w+ is not defined\.$/.test(d.message)) continue;
      const where = `line ${d.range.start.line + 1}, column ${d.range.start.character + 1}`;
      (d.severity === 1 ? errors : warnings).push(`${where}: ${d.message}`);
    }
    return { name, errors, warnings };
  });
  process.stdout.write(JSON.stringify(out));
});
