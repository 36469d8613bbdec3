// The keys naming events and subscriptions, built and read in this one
// place as the server writes them (engine/design EventRef and
// SubscriptionRef): an event is "Producer.Event", a subscription
// "App:Producer.Event" (the handling app, then the event it handles).

// eventRef names the event `name` owned by `app`: "Producer.Event".
export const eventRef = (app, name) => app + "." + name;

// splitEventRef reads "Producer.Event" back into { app, name }.
export const splitEventRef = (ref) => {
  const dot = ref.indexOf(".");
  return { app: ref.slice(0, dot), name: ref.slice(dot + 1) };
};

// subRef names `app`'s subscription to the event `ref` ("Producer.Event"):
// "App:Producer.Event", the key of the backlog, the flows and the counts.
export const subRef = (app, ref) => app + ":" + ref;
