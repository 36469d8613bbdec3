// The ids of the designer's nodes and edges, built in one place: every
// module that finds an app, an event or a subscription on the canvas
// (the graph, the live view, time travel, endpoint health) asks here.

import { subRef } from "./subref.js";

// appID is an app's node.
export const appID = (name) => "app:" + name;
// eventID is an event's node, by its reference (App.Event).
export const eventID = (ref) => "event:" + ref;
// subID is the arrow of app's subscription to the event ref.
export const subID = (app, ref) => "sub:" + subRef(app, ref);
