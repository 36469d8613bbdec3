// Endpoint health on the designer: an app whose endpoint failed webhook
// attempts in a row shows the count on its node, with a red dashed
// border, from the page's data first and then from the live notes
// ("endpoint.health").
import { appID } from "./ids.js";

// healthText is what an app node says about its endpoint ("" when
// healthy).
export const healthText = (failures) => (failures ? `endpoint failing ×${failures}` : "");

// showHealth marks app's node with its endpoint's failures in a row and
// returns the node (empty when the app is not drawn), for the caller to
// relabel.
export function showHealth(cy, app, failures) {
  const node = cy.getElementById(appID(app));
  if (!node.length) return node;
  node.data("health", healthText(failures));
  node.data("failures", failures);
  if (failures > 0) node.addClass("unhealthy");
  else node.removeClass("unhealthy");
  return node;
}
