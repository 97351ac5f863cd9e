// pathhound's web page: asks /graphql for a resource's access paths and draws them.
// URL parameters (?resource=ARN&service=STS&capabilities=use-resource,read-data&max=10&operator=OR&escalation=1)
// fill the form and run the query at once.
"use strict";

const $ = (id) => document.getElementById(id);
let cy = null;
let current = null; // {resource, service, caps}

function keyHeader() {
  const k = sessionStorage.getItem("pathhound-key");
  const h = { "X-Pathhound-Interface": "web" };
  if (k) h.Authorization = "Bearer " + k;
  // The tenant: ?customer=ID on the page's URL, else the only one the key may see.
  const c = new URLSearchParams(location.search).get("customer");
  if (c) h["X-Pathhound-Customer"] = c;
  return h;
}

async function gql(query, variables) {
  const r = await fetch("/graphql", {
    method: "POST",
    headers: Object.assign({ "Content-Type": "application/json" }, keyHeader()),
    body: JSON.stringify({ query, variables }),
  });
  if (r.status === 401 || r.status === 403) {
    $("keylabel").hidden = false;
    const body = await r.json().catch(() => ({}));
    throw new Error((body.message || "Not authorized") + " Enter an API key with GraphQL access.");
  }
  const body = await r.json();
  if (body.errors && body.errors.length) {
    throw new Error(body.errors.map((e) => e.message).join("; "));
  }
  return body.data;
}

function serviceFor(arn) {
  const m = /^arn:[^:]*:([^:]*):[^:]*:[^:]*:([a-z-]*)/.exec(arn) || [];
  const svc = m[1] || "";
  const kind = m[2] || "";
  if (svc === "iam" && kind === "role") return "STS";
  if (svc === "iam") return "IAM";
  const names = { s3: "S3", kms: "KMS", rds: "RDS", sqs: "SQS", sns: "SNS", secretsmanager: "SecretsManager", lambda: "Lambda" };
  return names[svc] || svc.toUpperCase();
}

function shortName(id) {
  if (/^\d{12}$/.test(id)) return "account " + id;
  if (id === "*") return "anyone (*)";
  const m = /^arn:[^:]*:([^:]*):[^:]*:([^:]*):(.*)$/.exec(id);
  if (!m) return id;
  const rest = m[3];
  const last = rest.split(/[/:]/).pop();
  return last || rest;
}

function nodeKind(id, root) {
  if (id === root) return "target";
  if (/^\d{12}$/.test(id)) return "account";
  if (id === "*") return "anyone";
  if (/:iam::\d{12}:role\//.test(id)) return "role";
  if (/:iam::\d{12}:user\//.test(id)) return "user";
  return "other";
}

const STYLE = [
  { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "background-color": "#0b6bcb", width: 26, height: 26, color: "#1d2733", "text-wrap": "wrap", "text-max-width": 140 } },
  { selector: "node[kind = 'target']", style: { "background-color": "#b3261e", shape: "star", width: 38, height: 38, "font-weight": "bold" } },
  { selector: "node[kind = 'account']", style: { "background-color": "#7b3fb3", shape: "hexagon", width: 32, height: 32 } },
  { selector: "node[kind = 'user']", style: { "background-color": "#1f8a4c", shape: "round-rectangle" } },
  { selector: "node[kind = 'anyone']", style: { "background-color": "#e8710a", shape: "diamond", width: 34, height: 34 } },
  { selector: "node[kind = 'other']", style: { "background-color": "#5f6b7a", shape: "triangle" } },
  { selector: "node[?truncated]", style: { "border-width": 3, "border-style": "dashed", "border-color": "#8a5a00" } },
  { selector: "edge", style: { width: 2, "line-color": "#9aa7b5", "target-arrow-color": "#9aa7b5", "target-arrow-shape": "triangle", "curve-style": "bezier" } },
  { selector: "edge[?cycle]", style: { "line-style": "dashed", "line-color": "#e8710a", "target-arrow-color": "#e8710a" } },
  { selector: ":selected", style: { "border-width": 3, "border-color": "#ffb000", "line-color": "#ffb000", "target-arrow-color": "#ffb000" } },
];

function draw(root, rp) {
  const nodes = new Map();
  const edges = new Map();
  const addNode = (id, extra) => {
    if (!nodes.has(id)) nodes.set(id, { data: { id, label: shortName(id), kind: nodeKind(id, root) } });
    Object.assign(nodes.get(id).data, extra || {});
  };
  addNode(root);
  for (const p of rp.accessPaths) {
    let to = root;
    p.nodes.forEach((from, i) => {
      addNode(from);
      const id = from + " -> " + to;
      const last = i === p.nodes.length - 1;
      if (!edges.has(id)) edges.set(id, { data: { id, source: from, target: to, cycle: last && p.cycle } });
      if (last && p.truncated) nodes.get(from).data.truncated = true;
      to = from;
    });
  }
  const elements = [...nodes.values(), ...edges.values()];
  if (cy) cy.destroy();
  cy = cytoscape({
    container: $("graph"),
    elements,
    style: STYLE,
    layout: { name: "breadthfirst", roots: [root], directed: false, spacingFactor: 1.15, padding: 24 },
    wheelSensitivity: 0.3,
  });
  cy.on("tap", "node", (e) => showNode(e.target.id()));
  cy.on("tap", "edge", (e) => showEdge(e.target.data("source"), e.target.data("target")));
  return { nodes: nodes.size, edges: edges.size };
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function showNode(id) {
  const kind = nodeKind(id, current && current.resource);
  let html = `<h3>${esc(shortName(id))}</h3><p><code>${esc(id)}</code></p><p>${esc(kind)}</p>`;
  if (kind === "role" || kind === "user") {
    html += `<p><a href="?resource=${encodeURIComponent(id)}&service=STS">Who can reach this ${kind}?</a></p>`;
  }
  $("details").innerHTML = html;
  if (kind === "role" || kind === "user") {
    gql(`query($arn: String!) { principal(arn: $arn) { isAdmin isIndirectAdmin account groups } }`, { arn: id })
      .then((d) => {
        const p = d.principal;
        if (!p) return;
        $("details").innerHTML += `<p>account ${esc(p.account)}${p.isAdmin ? " · <b>admin</b>" : ""}${p.isIndirectAdmin ? " · <b>indirect admin</b>" : ""}</p>`;
      })
      .catch(() => {});
  }
}

// An edge from holder to target. When the target is an account node, the holder uses that
// account's trust of the role before it; the grants are the role's.
async function showEdge(holder, target) {
  let resource = target;
  if (/^\d{12}$/.test(target)) {
    const e = cy.edges().filter((x) => x.data("source") === target);
    if (e.length) resource = e[0].data("target");
  }
  $("details").innerHTML = `<h3>${esc(shortName(holder))} → ${esc(shortName(target))}</h3><p>loading…</p>`;
  try {
    const d = await gql(
      `query($r: String!, $p: String!) {
        resource(arn: $r) { accessSummary(filter: {principalArn: $p}) {
          service capability conditional conditionKeys viaAccount action
          provenance { layer policy statement sid conditionKeys } } }
        principal(arn: $p) { escalatesTo { to via conditional conditionKeys requires provenance { layer policy statement sid conditionKeys } } }
      }`,
      { r: resource, p: holder }
    );
    const rows = (d.resource && d.resource.accessSummary) || [];
    const esc2 = ((d.principal && d.principal.escalatesTo) || []).filter((e) => e.to === resource);
    let html = `<h3>${esc(shortName(holder))} → ${esc(shortName(target))}</h3>`;
    if (!rows.length && !esc2.length) html += "<p>No grant found for this edge.</p>";
    if (rows.length) {
      html += "<table><tr><th>capability</th><th>because of</th></tr>";
      for (const g of rows) {
        const prov = g.provenance.map((p) => `<code>${esc(p.policy)}</code> statement ${p.statement}${p.sid ? " (" + esc(p.sid) + ")" : ""} <i>${esc(p.layer)}</i>${p.conditionKeys.length ? ` <span class="cond">if ${esc(p.conditionKeys.join(", "))}</span>` : ""}`).join("<br>");
        html += `<tr><td>${esc(g.service)} ${esc(g.capability)}${g.conditional ? ` <span class="cond">conditional on ${esc(g.conditionKeys.join(", "))}</span>` : ""}${g.viaAccount ? `<br>via trust of account ${esc(g.viaAccount)}` : ""}<br><small>${esc(g.action)}</small></td><td>${prov}</td></tr>`;
      }
      html += "</table>";
    }
    for (const e of esc2) {
      html += `<p><b>escalation</b> ${esc(e.via)}${e.conditional ? ' <span class="cond">conditional</span>' : ""}${e.requires ? " requires " + esc(e.requires) : ""}</p><ul>${e.provenance.map((p) => `<li><code>${esc(p.policy)}</code> statement ${p.statement}</li>`).join("")}</ul>`;
    }
    $("details").innerHTML = html;
  } catch (err) {
    $("details").innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

async function run(ev) {
  if (ev) ev.preventDefault();
  const resource = $("resource").value.trim();
  const service = $("service").value.trim() || serviceFor(resource);
  const caps = [...document.querySelectorAll("input[name=cap]:checked")].map((c) => c.value);
  const key = $("key").value.trim();
  if (key) sessionStorage.setItem("pathhound-key", key);
  current = { resource, service, caps };
  $("status").className = "";
  $("status").textContent = "Loading…";
  $("status").removeAttribute("data-ready");
  try {
    const d = await gql(
      `query($input: ResourceAccessPathsInput!) {
        resourceAccessPaths(input: $input) { resourceId resourceType pathsCapped accessPaths { nodes truncated cycle } }
      }`,
      {
        input: {
          resourceIds: [resource],
          service,
          principalAccessCapabilities: caps,
          accessCapabilityOperator: $("operator").value,
          maxAccessPathNodes: parseInt($("max").value, 10) || 10,
          includeEscalationEdges: $("escalation").checked,
        },
      }
    );
    const rp = d.resourceAccessPaths[0];
    const n = draw(resource, rp);
    const paths = rp.accessPaths;
    $("status").textContent = `${shortName(resource)} (${rp.resourceType}): ${paths.length} paths, ${n.nodes - 1} principals and accounts, ${n.edges} edges${rp.pathsCapped ? " (capped: more paths exist)" : ""}`;
    $("status").setAttribute("data-ready", String(paths.length));
    $("paths").innerHTML = paths.map((p) => `<li><code>${p.nodes.map(esc).join(" → ")}</code>${p.cycle ? " (cycle)" : ""}${p.truncated ? " (truncated)" : ""}</li>`).join("");
    const u = new URL(location.href);
    u.searchParams.set("resource", resource);
    u.searchParams.set("service", service);
    history.replaceState(null, "", u);
  } catch (err) {
    $("status").className = "error";
    $("status").textContent = err.message;
    $("status").setAttribute("data-ready", "error");
  }
}

async function init() {
  $("query").addEventListener("submit", run);
  $("resource").addEventListener("change", () => {
    $("service").value = serviceFor($("resource").value.trim());
  });
  const q = new URLSearchParams(location.search);
  if (q.get("capabilities")) {
    const want = q.get("capabilities").split(",").map((c) => c.trim().toUpperCase().replace(/-/g, "_"));
    document.querySelectorAll("input[name=cap]").forEach((c) => (c.checked = want.includes(c.value)));
  }
  if (q.get("max")) $("max").value = q.get("max");
  if (q.get("operator")) $("operator").value = q.get("operator").toUpperCase();
  if (q.get("escalation") === "1") $("escalation").checked = true;
  if (q.get("resource")) {
    $("resource").value = q.get("resource");
    $("service").value = q.get("service") || serviceFor(q.get("resource"));
    run();
  }
  try {
    const d = await gql(`{ snapshot { id analysisTime } resources(first: 500) { nodes { arn resourceType name } } }`);
    $("snapshot").textContent = `snapshot ${d.snapshot.id} · analysed ${d.snapshot.analysisTime}`;
    $("resources").innerHTML = d.resources.nodes.map((r) => `<option value="${esc(r.arn)}">${esc(r.resourceType)} ${esc(r.name)}</option>`).join("");
  } catch (err) {
    if (!q.get("resource")) {
      $("status").className = "error";
      $("status").textContent = err.message;
    }
  }
}

document.addEventListener("DOMContentLoaded", init);
