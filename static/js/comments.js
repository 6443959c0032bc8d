/*
 * Commenting on a document version: choosing what to comment on, and keeping drafts.
 *
 * Progressive enhancement only. Without this file every flow still works: the
 * "Comment on this paragraph" links go to ?block=…, the server keeps drafts it is sent,
 * and forms post normally. With it:
 *   - selecting words inside one paragraph offers "Comment on the selected words", which
 *     fills the form with W3C TextQuoteSelector/TextPositionSelector values counted in the
 *     paragraph's text exactly as the server counts it (documents/conversion/split.py);
 *   - "Comment on this paragraph" fills the form without reloading the page;
 *   - what is typed is kept on this device at once and saved to the server shortly after,
 *     so it survives a closed tab, a failed send or a session timeout.
 * Plain ES2017, no dependencies, nothing inline (the Content Security Policy forbids it).
 * Text written by people is only ever put on the page with textContent.
 */
(function () {
  "use strict";

  var CONTEXT_CHARS = 32;
  var SAVE_DELAY_MS = 1500;
  var RETRY_MAX_MS = 60000;
  var STORE_PREFIX = "ppie-draft:";
  var STORE_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
  // Exactly the characters Python's \s and str.strip() treat as whitespace.
  var WS_CLASS = "[\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var WS_RUN = new RegExp(WS_CLASS + "+", "g");
  var WS_LEAD = new RegExp("^" + WS_CLASS + "+");
  var WS_ONE = new RegExp("^" + WS_CLASS + "$");
  // After these elements the server's plain text has a space (split.py _BREAKS).
  var BREAKS = /^(H[1-6]|P|LI|TD|TH|PRE|BLOCKQUOTE|FIGCAPTION|CAPTION|UL|OL|TABLE|BR|TR)$/;
  var HOLDERS = /^(LI|TD|TH)$/;
  var NESTED = /^(UL|OL|TABLE)$/;
  // Page furniture inside or beside a block that is not part of the document's text.
  var SKIP = ".block-comment, .block-count, .block-tools, .visually-hidden, .selection-comment, script, style";

  // Runs of whitespace become one space, and the ends are trimmed (split.py plain_text).
  function collapse(text) {
    var single = text.replace(WS_RUN, " ");
    return single.slice(single.charAt(0) === " " ? 1 : 0).replace(/ $/, "");
  }

  function isSpace(ch) {
    return WS_ONE.test(ch);
  }

  function codePoints(text) {
    return Array.from(text);
  }

  /* ---- the text of a block, as the server counts it ---------------------------------- */

  // The block's text as pieces in reading order: text nodes, and the space after a break.
  function pieces(block) {
    var out = [];
    function walk(node) {
      for (var child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === Node.TEXT_NODE) {
          out.push({ node: child });
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          if (child.matches(SKIP) || child.hasAttribute("data-block")) {
            continue;
          }
          if (HOLDERS.test(block.tagName) && NESTED.test(child.tagName)) {
            continue; // a nested list or table is made of blocks of its own
          }
          walk(child);
          if (BREAKS.test(child.tagName)) {
            out.push({ after: child });
          }
        }
      }
    }
    walk(block);
    return out;
  }

  function blockText(block) {
    return collapse(
      pieces(block)
        .map(function (p) {
          return p.node ? p.node.data : " ";
        })
        .join("")
    );
  }

  // The raw (uncollapsed) text of the block before the point (container, offset).
  function rawBefore(list, container, offset) {
    var here = document.createRange();
    here.setStart(container, offset);
    here.collapse(true);
    var text = "";
    for (var i = 0; i < list.length; i += 1) {
      var p = list[i];
      if (p.node) {
        if (p.node === container) {
          return text + p.node.data.slice(0, offset);
        }
        if (here.comparePoint(p.node, p.node.data.length) > 0) {
          return text;
        }
        text += p.node.data;
      } else {
        var parent = p.after.parentNode;
        var index = Array.prototype.indexOf.call(parent.childNodes, p.after) + 1;
        if (here.comparePoint(parent, index) > 0) {
          return text;
        }
        text += " ";
      }
    }
    return text;
  }

  // Where a raw prefix ends in the collapsed text: collapsed, trimmed on the left only.
  function collapsedLength(raw, total) {
    return Math.min(raw.replace(WS_RUN, " ").replace(WS_LEAD, "").length, total);
  }

  // The part of ``range`` inside ``block``: {start, end} in the block's collapsed text.
  function clip(block, range) {
    var list = pieces(block);
    var text = blockText(block);
    var inside = document.createRange();
    inside.selectNodeContents(block);
    var start = 0;
    var end = text.length;
    if (inside.comparePoint(range.startContainer, range.startOffset) === 0) {
      start = collapsedLength(rawBefore(list, range.startContainer, range.startOffset), text.length);
    } else if (inside.comparePoint(range.startContainer, range.startOffset) > 0) {
      return null;
    }
    if (inside.comparePoint(range.endContainer, range.endOffset) === 0) {
      end = collapsedLength(rawBefore(list, range.endContainer, range.endOffset), text.length);
    } else if (inside.comparePoint(range.endContainer, range.endOffset) < 0) {
      return null;
    }
    // A double-click often takes the space after a word; it is not part of the passage.
    while (start < end && isSpace(text.charAt(start))) {
      start += 1;
    }
    while (end > start && isSpace(text.charAt(end - 1))) {
      end -= 1;
    }
    return start < end ? { text: text, start: start, end: end } : null;
  }

  // Selectors in code points, as Python counts (a browser counts UTF-16 units).
  function selectorsFor(text, start, end) {
    var s = codePoints(text.slice(0, start)).length;
    var e = s + codePoints(text.slice(start, end)).length;
    var all = codePoints(text);
    return [
      {
        type: "TextQuoteSelector",
        exact: all.slice(s, e).join(""),
        prefix: all.slice(Math.max(0, s - CONTEXT_CHARS), s).join(""),
        suffix: all.slice(e, e + CONTEXT_CHARS).join(""),
      },
      { type: "TextPositionSelector", start: s, end: e },
    ];
  }

  function truncateWords(text, words) {
    var parts = text.split(" ");
    return parts.length > words ? parts.slice(0, words).join(" ") + " …" : text;
  }

  /* ---- local copies of drafts ------------------------------------------------------- */

  var store = {
    ok: (function () {
      try {
        var probe = STORE_PREFIX + "probe";
        window.localStorage.setItem(probe, "1");
        window.localStorage.removeItem(probe);
        return true;
      } catch (error) {
        return false;
      }
    })(),
    get: function (key) {
      if (!this.ok) return null;
      try {
        var value = JSON.parse(window.localStorage.getItem(STORE_PREFIX + key) || "null");
        return value && typeof value.body === "string" ? value : null;
      } catch (error) {
        return null;
      }
    },
    // Set on logging out: nothing typed is written back to this device after it is cleared
    // (a pending autosave or the page being hidden would otherwise put the words back).
    closed: false,
    set: function (key, value) {
      if (!this.ok || this.closed) return false;
      try {
        window.localStorage.setItem(STORE_PREFIX + key, JSON.stringify(value));
        return true;
      } catch (error) {
        return false; // full or refused: the server copy still protects the words
      }
    },
    remove: function (key) {
      if (!this.ok) return;
      try {
        window.localStorage.removeItem(STORE_PREFIX + key);
      } catch (error) {
        /* nothing to do */
      }
    },
    // A reply's copy kept after it was sent: once its conversation on this page shows the
    // words, they arrived. (A reply's form is on the page only while it is being written, so
    // these are not settled by a form's own restore.) Only that conversation's words count.
    settle: function (reader) {
      if (!this.ok || !reader) return;
      for (var i = window.localStorage.length - 1; i >= 0; i -= 1) {
        var name = window.localStorage.key(i);
        var match = name && new RegExp("^" + STORE_PREFIX + "reply-(\\d+)-" + reader + "$").exec(name);
        if (!match) continue;
        var thread = document.getElementById("thread-" + match[1]);
        var value = this.get(name.slice(STORE_PREFIX.length));
        if (!thread || !value || !value.submitted) continue;
        var arrived = Array.prototype.some.call(thread.querySelectorAll(".comment-body"), function (node) {
          return sameWords(node.textContent, value.body);
        });
        if (arrived) window.localStorage.removeItem(name);
      }
    },
    prune: function () {
      if (!this.ok) return;
      var now = Date.now();
      for (var i = window.localStorage.length - 1; i >= 0; i -= 1) {
        var name = window.localStorage.key(i);
        if (name && name.indexOf(STORE_PREFIX) === 0) {
          var value = this.get(name.slice(STORE_PREFIX.length));
          if (!value || !value.savedAt || now - value.savedAt > STORE_MAX_AGE_MS) {
            window.localStorage.removeItem(name);
          }
        }
      }
    },
  };

  function sameWords(a, b) {
    return a.replace(WS_RUN, "") === b.replace(WS_RUN, "");
  }

  function timeOf(ms) {
    try {
      return new Date(ms).toLocaleString("en-GB", {
        day: "numeric",
        month: "short",
        hour: "2-digit",
        minute: "2-digit",
      });
    } catch (error) {
      return new Date(ms).toString();
    }
  }

  /* ---- one form whose words are kept as they are typed -------------------------------- */

  function DraftForm(form) {
    this.form = form;
    this.url = form.getAttribute("data-draft-url");
    this.key = form.getAttribute("data-draft-key");
    this.body = form.querySelector("[data-field=body]");
    this.status = form.querySelector("[data-draft-status]");
    this.serverSavedAt = Date.parse(form.getAttribute("data-draft-saved-at") || "") || 0;
    this.loginUrl = form.getAttribute("data-login-url") || "";
    this.lastSent = this.payloadKey();
    this.dirty = false;
    this.inFlight = null;
    this.timer = null;
    this.retryDelay = 0;
    this.submitting = false;
    this.shown = "";
    this.onRestoreTarget = null;
    this.restoredAt = 0;
    this.listen();
    this.checkLimit();
  }

  DraftForm.prototype.field = function (name) {
    var input = this.form.querySelector("[data-field=" + name + "]");
    return input ? input.value : "";
  };

  DraftForm.prototype.target = function () {
    return {
      block: this.field("block"),
      selectors: this.field("selectors") === "null" ? "" : this.field("selectors"),
      quote: this.field("quote"),
    };
  };

  DraftForm.prototype.payloadKey = function () {
    var t = this.target();
    return JSON.stringify([this.body.value, t.block, t.selectors, t.quote]);
  };

  DraftForm.prototype.say = function (message) {
    // Only a change of state is announced; the same words again would be noise.
    if (!this.status || message === this.shown) return;
    this.shown = message;
    this.status.textContent = message;
  };

  DraftForm.prototype.restoredMessage = function (saved) {
    return (
      "We brought back the words you typed on this device at " +
      timeOf(this.restoredAt) +
      (saved ? ". They are saved now" : ". They are not sent yet") +
      ": check them and send when you are ready."
    );
  };

  DraftForm.prototype.sayLoggedOut = function () {
    if (!this.status) return;
    var message =
      "You have been logged out, so your words could not be saved to the portal. " +
      "They are kept on this device. ";
    if (message === this.shown) return;
    this.shown = message;
    this.status.textContent = message;
    if (this.loginUrl) {
      var link = document.createElement("a");
      link.href = this.loginUrl;
      link.textContent = "Log in again";
      this.status.appendChild(link);
      this.status.appendChild(
        document.createTextNode(", then come back to this page: your words will be back in the box.")
      );
    } else {
      this.status.appendChild(
        document.createTextNode("Log in again, then come back to this page: your words will be back in the box.")
      );
    }
  };

  // The box takes no more than its limit, and a paste past it is cut short without a word
  // from the browser: say so, while the box is full.
  DraftForm.prototype.checkLimit = function () {
    var limit = parseInt(this.body.getAttribute("maxlength") || "", 10);
    if (!limit) return;
    var full = this.body.value.length >= limit;
    if (full && !this.limitNote) {
      this.limitNote = document.createElement("p");
      this.limitNote.className = "form-text text-danger-emphasis mb-1";
      this.limitNote.setAttribute("role", "status");
      this.limitNote.setAttribute("data-limit-note", "");
      this.limitNote.id = this.body.id + "-limit";
      this.body.insertAdjacentElement("afterend", this.limitNote);
      var described = this.body.getAttribute("aria-describedby");
      this.body.setAttribute("aria-describedby", (described ? described + " " : "") + this.limitNote.id);
    }
    if (!this.limitNote) return;
    this.limitNote.textContent = full
      ? "This box is full: it holds " +
        limit.toLocaleString("en-GB") +
        " characters, and anything more was not added. Send this, then add the rest in a reply."
      : "";
    this.limitNote.hidden = !full;
  };

  DraftForm.prototype.keepLocally = function () {
    var t = this.target();
    if (!this.body.value.trim()) {
      store.remove(this.key);
      return;
    }
    store.set(this.key, {
      body: this.body.value,
      block: t.block,
      selectors: t.selectors,
      quote: t.quote,
      savedAt: Date.now(),
      url: window.location.pathname,
    });
  };

  // Something changed (words or target): keep it here now, send it a little later.
  DraftForm.prototype.changed = function () {
    if (this.submitting) return;
    this.keepLocally();
    this.dirty = this.payloadKey() !== this.lastSent;
    window.clearTimeout(this.timer);
    if (this.dirty) {
      this.timer = window.setTimeout(this.save.bind(this), SAVE_DELAY_MS);
    }
  };

  DraftForm.prototype.formData = function () {
    var data = new FormData();
    var token = this.form.querySelector("input[name=csrfmiddlewaretoken]");
    var key = this.form.querySelector("input[name=key]");
    var t = this.target();
    if (token) data.append("csrfmiddlewaretoken", token.value);
    if (key) data.append("key", key.value);
    data.append("body", this.body.value);
    data.append("block", t.block);
    data.append("selectors", t.selectors);
    data.append("quote", t.quote);
    return data;
  };

  DraftForm.prototype.save = function () {
    var self = this;
    window.clearTimeout(this.timer);
    if (this.submitting || !this.dirty) return Promise.resolve();
    if (this.inFlight) {
      // One request at a time; whatever changed meanwhile goes next.
      return this.inFlight.then(function () {
        return self.save();
      });
    }
    var sent = this.payloadKey();
    this.inFlight = window
      .fetch(this.url, {
        method: "POST",
        body: this.formData(),
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      })
      .then(
        function (response) {
          if (response.ok) return "saved";
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            return "logged-out";
          }
          return "failed";
        },
        function () {
          return "failed";
        }
      )
      .then(function (outcome) {
        self.inFlight = null;
        if (outcome === "saved") {
          // Saving started the session's time again.
          document.dispatchEvent(new CustomEvent("portal:session-renewed"));
          self.lastSent = sent;
          self.dirty = self.payloadKey() !== sent;
          self.retryDelay = 0;
          // Until the person types again, keep saying where the words came from.
          // An empty box (a paragraph chosen, nothing typed yet) has nothing to call saved.
          if (self.restoredAt) self.say(self.restoredMessage(true));
          else self.say(self.body.value.trim() ? "Saved." : "What you type is saved as you go.");
          if (self.dirty) self.changed();
          return;
        }
        if (outcome === "logged-out") {
          self.sayLoggedOut();
        } else {
          self.say("Not saved to the portal yet — your words are kept on this device and we will keep trying.");
        }
        self.retryDelay = Math.min(RETRY_MAX_MS, self.retryDelay ? self.retryDelay * 2 : 5000);
        self.timer = window.setTimeout(self.save.bind(self), self.retryDelay);
      });
    return this.inFlight;
  };

  // The page is going away: send what has not been sent, without waiting for an answer.
  DraftForm.prototype.flush = function () {
    if (this.submitting || !this.dirty) return;
    this.keepLocally();
    var sent = false;
    if (navigator.sendBeacon) {
      try {
        sent = navigator.sendBeacon(this.url, this.formData());
      } catch (error) {
        sent = false;
      }
    }
    if (!sent) {
      try {
        window.fetch(this.url, {
          method: "POST",
          body: this.formData(),
          credentials: "same-origin",
          keepalive: true,
        });
      } catch (error) {
        /* the local copy remains */
      }
    }
    // Whether it arrived is unknown: the local copy stays until the server shows it back.
  };

  DraftForm.prototype.restore = function (commentBodies) {
    var local = store.get(this.key);
    if (!local) return;
    if (local.submitted) {
      // Sent last time: if the page now shows it, it arrived and the copy can go.
      var arrived = commentBodies.some(function (text) {
        return sameWords(text, local.body);
      });
      if (arrived) {
        store.remove(this.key);
        return;
      }
    }
    if (!local.body.trim() || sameWords(local.body, this.body.value)) {
      return;
    }
    var boxEmpty = !this.body.value.trim();
    if (!boxEmpty && !(local.savedAt > this.serverSavedAt)) {
      return; // the portal holds newer words (typed on another device, say)
    }
    this.body.value = local.body;
    if (this.onRestoreTarget) this.onRestoreTarget(local);
    this.lastSent = "";
    this.dirty = true;
    this.restoredAt = local.savedAt;
    this.say(this.restoredMessage(false));
    this.checkLimit();
    var details = this.form.closest("details");
    if (details) details.open = true;
    window.setTimeout(this.save.bind(this), 0);
  };

  DraftForm.prototype.listen = function () {
    var self = this;
    this.body.addEventListener("input", function () {
      self.restoredAt = 0;
      self.changed();
      self.checkLimit();
    });
    this.body.addEventListener("blur", function () {
      if (self.dirty) self.save();
    });
    this.form.addEventListener("submit", function (event) {
      if (self.submitting) {
        // Pressed again while the first press is on its way: one comment, not two.
        event.preventDefault();
        return;
      }
      window.clearTimeout(self.timer);
      var local = store.get(self.key);
      if (self.body.value.trim()) {
        store.set(self.key, {
          body: self.body.value,
          block: self.target().block,
          selectors: self.target().selectors,
          quote: self.target().quote,
          savedAt: Date.now(),
          url: window.location.pathname,
          submitted: true,
        });
      } else if (local) {
        store.remove(self.key);
      }
      if (self.inFlight) {
        // A draft save still on its way could land after the comment and bring it back
        // as a draft: let it finish first.
        event.preventDefault();
        self.submitting = true;
        var go = function () {
          self.form.submit();
        };
        self.inFlight.then(go, go);
        return;
      }
      self.submitting = true;
    });
  };

  /* ---- choosing what to comment on ----------------------------------------------------- */

  function CommentTarget(doc, form, draft) {
    this.doc = doc;
    this.form = form;
    this.draft = draft;
    this.description = form.querySelector("[data-target-description]");
    this.announcer = form.querySelector("[data-comment-announce]");
    this.textarea = form.querySelector("[data-field=body]");
    this.pending = null;
    this.hideTimer = null;
    this.button = this.makeButton();
    this.listen();
  }

  CommentTarget.prototype.makeButton = function () {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary btn-sm selection-comment";
    button.textContent = "Comment on the selected words";
    button.hidden = true;
    return button;
  };

  CommentTarget.prototype.blocks = function () {
    return Array.prototype.slice.call(this.doc.querySelectorAll("[data-block]"));
  };

  CommentTarget.prototype.blockById = function (id) {
    return this.blocks().filter(function (b) {
      return b.getAttribute("data-block") === id;
    })[0];
  };

  // The words selected in the document, clipped to the first block they touch.
  CommentTarget.prototype.selected = function () {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!range.intersectsNode(this.doc)) return null;
    var found = null;
    var more = false;
    var blocks = this.blocks();
    for (var i = 0; i < blocks.length; i += 1) {
      if (!range.intersectsNode(blocks[i]) || blocks[i].tagName === "IMG") continue;
      var part = clip(blocks[i], range);
      if (!part) continue;
      if (found) {
        more = true;
        break;
      }
      found = { block: blocks[i], part: part };
    }
    if (!found) return null;
    found.clipped = more;
    return found;
  };

  CommentTarget.prototype.check = function () {
    var chosen = this.selected();
    if (!chosen) {
      this.hideSoon();
      return;
    }
    window.clearTimeout(this.hideTimer);
    this.pending = chosen;
    this.place(chosen);
  };

  // Keep the button in the reading order just after the block (for the keyboard), and
  // on screen just below the selection (for a mouse or a finger).
  CommentTarget.prototype.place = function (chosen) {
    var block = chosen.block;
    var after = block.querySelector(":scope > .block-comment");
    if (!after) {
      var next = block.nextElementSibling;
      after = next && next.classList.contains("block-tools") ? next.lastElementChild || next : block;
    }
    if (this.button.previousElementSibling !== after) {
      after.insertAdjacentElement("afterend", this.button);
    }
    this.button.hidden = false;
    var selection = window.getSelection();
    var rects = selection.rangeCount ? selection.getRangeAt(0).getClientRects() : [];
    var box = this.doc.getBoundingClientRect();
    var last = rects.length ? rects[rects.length - 1] : block.getBoundingClientRect();
    var width = this.button.offsetWidth || 200;
    var left = Math.max(0, Math.min(last.left - box.left, box.width - width));
    this.button.style.top = Math.round(last.bottom - box.top + 6) + "px";
    this.button.style.left = Math.round(left) + "px";
  };

  CommentTarget.prototype.hideSoon = function () {
    var self = this;
    window.clearTimeout(this.hideTimer);
    // A tap or click on the button itself can clear the selection first: wait a moment.
    this.hideTimer = window.setTimeout(function () {
      if (document.activeElement === self.button) return;
      self.button.hidden = true;
      self.pending = null;
    }, 400);
  };

  CommentTarget.prototype.announce = function (message) {
    if (!this.announcer) return;
    this.announcer.textContent = "";
    var announcer = this.announcer;
    // A fresh change after clearing, so the same message is read again if repeated.
    window.setTimeout(function () {
      announcer.textContent = message;
    }, 50);
  };

  CommentTarget.prototype.setFields = function (block, selectors, quote) {
    this.form.querySelector("[data-field=block]").value = block;
    this.form.querySelector("[data-field=selectors]").value = selectors;
    this.form.querySelector("[data-field=quote]").value = quote;
  };

  CommentTarget.prototype.describe = function (shown, note, forWholeDocument) {
    var d = this.description;
    while (d.firstChild) d.removeChild(d.firstChild);
    if (forWholeDocument) {
      var hint = document.createElement("p");
      hint.setAttribute("data-quote-hint", "");
      hint.textContent =
        "You are commenting on the whole document. To comment on one part, use a " +
        "“+ Comment” link under a paragraph, or select some words in the text.";
      d.appendChild(hint);
      return;
    }
    var intro = document.createElement("p");
    intro.className = "mb-1";
    intro.textContent = "You are commenting on:";
    var quote = document.createElement("blockquote");
    quote.className = "border-start border-4 ps-2 quote-preview";
    quote.setAttribute("data-quote-preview", "");
    quote.textContent = shown;
    d.appendChild(intro);
    d.appendChild(quote);
    if (note) {
      var p = document.createElement("p");
      p.className = "mb-1";
      p.setAttribute("data-quote-note", "");
      p.textContent = note;
      d.appendChild(p);
    }
    var back = document.createElement("p");
    var link = document.createElement("a");
    link.href = "?#comment-form";
    link.setAttribute("data-whole-document", "");
    link.textContent = "Comment on the whole document instead";
    back.appendChild(link);
    d.appendChild(back);
  };

  CommentTarget.prototype.mark = function (block) {
    this.blocks().forEach(function (b) {
      b.classList.remove("is-comment-target");
    });
    if (block) block.classList.add("is-comment-target");
  };

  CommentTarget.prototype.remember = function (blockId) {
    if (!window.history || !window.history.replaceState) return;
    var url = new URL(window.location.href);
    if (blockId) url.searchParams.set("block", blockId);
    else url.searchParams.delete("block");
    url.hash = "comment-form";
    window.history.replaceState(window.history.state, "", url.toString());
  };

  CommentTarget.prototype.focusBox = function () {
    var form = this.form.closest("#comment-form") || this.form;
    if (form.scrollIntoView) form.scrollIntoView({ block: "start" });
    this.textarea.focus();
  };

  CommentTarget.prototype.useSelection = function () {
    var chosen = this.selected() || this.pending;
    if (!chosen) return;
    var part = chosen.part;
    var selectors = selectorsFor(part.text, part.start, part.end);
    var quote = selectors[0].exact;
    var id = chosen.block.getAttribute("data-block");
    this.setFields(id, JSON.stringify(selectors), quote);
    var note = chosen.clipped
      ? "Your selection went on past the end of this paragraph. Only the words in this paragraph are quoted: to comment on the next part, select it separately."
      : "";
    this.describe(quote, note, false);
    this.mark(chosen.block);
    this.remember(id);
    this.button.hidden = true;
    this.pending = null;
    window.getSelection().removeAllRanges();
    this.draft.changed();
    this.focusBox();
    this.announce(
      "Now commenting on the selected words" + (chosen.clipped ? ", in the first paragraph only" : "") + ". Type your comment."
    );
  };

  CommentTarget.prototype.useBlock = function (id) {
    var block = this.blockById(id);
    if (!block) return false;
    this.setFields(id, "", "");
    this.describe(truncateWords(blockText(block), 40), "", false);
    this.mark(block);
    this.remember(id);
    this.draft.changed();
    this.focusBox();
    this.announce("Now commenting on this " + noun(block) + ". Type your comment.");
    return true;
  };

  CommentTarget.prototype.useWholeDocument = function () {
    this.setFields("", "", "");
    this.describe("", "", true);
    this.mark(null);
    this.remember("");
    this.draft.changed();
    this.focusBox();
    this.announce("Now commenting on the whole document. Type your comment.");
  };

  // Put back the target of a draft restored from this device.
  CommentTarget.prototype.restoreTarget = function (local) {
    var block = local.block ? this.blockById(local.block) : null;
    if (!block) {
      if (local.block) return; // not in this version: leave the form as the server set it
      this.setFields("", "", "");
      this.describe("", "", true);
      return;
    }
    this.setFields(local.block, local.selectors || "", local.quote || "");
    this.describe(local.quote || truncateWords(blockText(block), 40), "", false);
    this.mark(block);
  };

  CommentTarget.prototype.listen = function () {
    var self = this;
    var timer = null;
    var soon = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        self.check();
      }, 250);
    };
    document.addEventListener("selectionchange", soon);
    ["mouseup", "touchend", "keyup"].forEach(function (name) {
      self.doc.addEventListener(name, function (event) {
        if (event.target === self.button) return;
        window.setTimeout(function () {
          self.check();
        }, 0);
      });
    });
    // Pressing the button must not clear the selection it is about.
    this.button.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    this.button.addEventListener("click", function () {
      self.useSelection();
    });
    this.doc.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.block-comment[data-comment-block]") : null;
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      if (self.useBlock(link.getAttribute("data-comment-block"))) event.preventDefault();
    });
    this.description.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-whole-document]") : null;
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      self.useWholeDocument();
    });
    window.addEventListener("resize", function () {
      if (!self.button.hidden && self.pending) self.place(self.pending);
    });
  };

  function noun(block) {
    var tag = block.tagName;
    if (/^H[1-6]$/.test(tag)) return "heading";
    return (
      { LI: "list item", TD: "table cell", TH: "table heading", CAPTION: "caption", FIGCAPTION: "caption" }[tag] ||
      "paragraph"
    );
  }

  /* ---- finding a comment's place ----------------------------------------------------------- */

  // A passage marked in several pieces (it crosses emphasis, say) is shown whole when its
  // comment's "On the passage" link is followed; the first piece is the link's target.
  function showPassage() {
    Array.prototype.forEach.call(document.querySelectorAll("mark.passage.is-current"), function (m) {
      m.classList.remove("is-current");
    });
    var match = /^#passage-(\d+)$/.exec(window.location.hash);
    if (!match) return;
    Array.prototype.forEach.call(document.querySelectorAll("mark.passage[data-threads]"), function (m) {
      if (m.getAttribute("data-threads").split(" ").indexOf(match[1]) >= 0) m.classList.add("is-current");
    });
  }

  // A link to a conversation on another page of comments (an old email, say) finds its page.
  function findThread() {
    var match = /^#thread-(\d+)$/.exec(window.location.hash);
    if (!match || document.getElementById("thread-" + match[1]) || !document.querySelector("[data-document]")) {
      return false;
    }
    var url = new URL(window.location.href);
    if (url.searchParams.get("thread") === match[1]) return false;
    url.searchParams.delete("page");
    url.searchParams.delete("on");
    url.searchParams.set("thread", match[1]);
    window.location.replace(url.toString());
    return true;
  }

  // After sending (or a refusal), the page opens at the conversation or the form, below the
  // fold on a phone: the message saying what happened ("Your reply has been added.", "Write
  // your comment before sending it.") goes to the top of that place, where it is seen, and
  // takes the focus so that a screen reader reads it.
  function messageAtTarget() {
    var messages = document.querySelector(".messages");
    var id = window.location.hash.slice(1);
    var target = messages && /^(thread-\d+|comment-form|reply-form)$/.test(id) && document.getElementById(id);
    if (!target) return;
    var holder = target.querySelector(".card-body") || target;
    holder.insertBefore(messages, holder.firstChild);
    messages.setAttribute("tabindex", "-1");
    target.scrollIntoView({ block: "start" });
    // The browser's own move to the address's #target takes the focus when the page has
    // loaded; the message takes it after that.
    var focus = function () {
      window.setTimeout(function () {
        // Not from someone who has started on something else while the page loaded.
        var now = document.activeElement;
        if (now && now !== document.body && now !== target && now.id !== "main") return;
        messages.focus({ preventScroll: true });
      }, 0);
    };
    if (document.readyState === "complete") focus();
    else window.addEventListener("load", focus);
  }

  // Words of a reply kept only on this device (the portal never got them) are offered again
  // in their conversation; the page's one reply form opens there when "Continue" is chosen.
  function markKeptReplies() {
    var list = document.querySelector("[data-reader]");
    if (!list) return;
    var reader = list.getAttribute("data-reader");
    Array.prototype.forEach.call(list.querySelectorAll("a[data-reply-link]"), function (link) {
      var id = link.getAttribute("data-reply-link");
      var kept = store.get("reply-" + id + "-" + reader);
      if (!kept || kept.submitted || !kept.body.trim()) return;
      if (document.querySelector("#thread-" + id + " form#reply-form")) return;
      if (link.firstChild && link.firstChild.nodeType === Node.TEXT_NODE) {
        link.firstChild.nodeValue = "Continue the reply kept on this device";
      }
    });
  }

  /* ---- start ----------------------------------------------------------------------------- */

  function start() {
    if (findThread()) return;
    showPassage();
    messageAtTarget();
    // "Reply" opened the page's reply form in that conversation: the words go in its box.
    if (window.location.hash === "#reply-form") {
      var replyBox = document.querySelector("#reply-form textarea");
      // After the browser's own move to the address's #reply-form.
      if (replyBox) window.setTimeout(function () { replyBox.focus(); }, 0);
    }
    window.addEventListener("hashchange", function () {
      showPassage();
      findThread();
    });
    if (!window.fetch || !window.FormData || !Array.from || !Element.prototype.closest) return;
    store.prune();
    var bodies = Array.prototype.map.call(
      document.querySelectorAll(".thread .comment-body"),
      function (node) {
        return node.textContent;
      }
    );
    var readerList = document.querySelector("[data-reader]");
    store.settle(readerList ? readerList.getAttribute("data-reader") : "");
    markKeptReplies();
    var drafts = [];
    var mainForm = document.querySelector("form[data-comment-form]");
    var doc = document.querySelector("[data-document]");
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), function (form) {
      if (!form.getAttribute("data-draft-key") || !form.querySelector("[data-field=body]")) return;
      var draft = new DraftForm(form);
      if (form === mainForm && doc) {
        var target = new CommentTarget(doc, form, draft);
        draft.onRestoreTarget = target.restoreTarget.bind(target);
        var chosen = form.querySelector("[data-field=block]").value;
        var block = chosen ? target.blockById(chosen) : null;
        if (block) target.mark(block);
      }
      // Read back the copy on this device only once the target can be put back too.
      draft.restore(bodies);
      drafts.push(draft);
    });

    var flushAll = function () {
      if (store.closed) return;
      drafts.forEach(function (d) {
        d.flush();
      });
    };
    // Capture phase: before portal.js clears the copies on this device, and before leaving.
    Array.prototype.forEach.call(document.querySelectorAll("form[data-logout]"), function (form) {
      form.addEventListener(
        "submit",
        function () {
          store.closed = true;
        },
        true
      );
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flushAll();
    });
    window.addEventListener("pagehide", flushAll);
    window.addEventListener("online", function () {
      drafts.forEach(function (d) {
        if (d.dirty) d.save();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
