/* factorscope: the bits of browser-side behaviour Dash has no component for.
 *
 * 1. syncQuery(search): keep the address bar equal to the page's state (history.replaceState: no reload,
 *    no history entry per slider move) and return the absolute link for the share box.
 * 2. <img data-error-store="ID">: when a backend image fails (a 4xx/5xx problem) or loads, store
 *    {src} or null into the dcc.Store ID, so a server-side callback can show the problem's message.
 * 3. sliderValue(value): a playground slider's value, shown beside it while it is dragged.
 * 4. clearLinkNote(run, initial): drop the warning about the page's link once another run is picked.
 */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.factorscope = {
    syncQuery: function (search) {
        if (typeof search !== "string") {
            return window.dash_clientside.no_update;
        }
        if (window.location.search !== search) {
            window.history.replaceState(window.history.state, "", window.location.pathname + search);
        }
        return window.location.origin + window.location.pathname + search;
    },
    sliderValue: function (value) {
        return typeof value === "number" ? value.toFixed(2) : window.dash_clientside.no_update;
    },
    clearLinkNote: function (run, initial) {
        var asked = new URLSearchParams(initial || "").get("run");
        return asked && run && run !== asked ? null : window.dash_clientside.no_update;
    }
};

(function () {
    var shown = {};  // store id -> the <img> whose failure it holds (images sharing a store clear only their own)

    function report(event, failed) {
        var img = event.target;
        if (!img || img.tagName !== "IMG" || !img.dataset || !img.dataset.errorStore) {
            return;
        }
        var store = img.dataset.errorStore;
        if (!failed && shown[store] !== img) {
            return;
        }
        shown[store] = failed ? img : undefined;
        var dc = window.dash_clientside;
        if (dc && typeof dc.set_props === "function") {
            try {
                dc.set_props(store, {data: failed ? {src: img.src, at: Date.now()} : null});
            } catch (err) {  // the page (and its store) is gone
                console.debug("factorscope: no store for an image message", err);
            }
        }
    }
    document.addEventListener("error", function (e) { report(e, true); }, true);
    document.addEventListener("load", function (e) { report(e, false); }, true);
})();
