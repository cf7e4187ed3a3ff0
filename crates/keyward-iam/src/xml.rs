//! The AWS Query protocol's response side: XML results wrapped as
//! `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…` and errors as
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.

use crate::{IamError, Service};

/// Escapes text for an XML element.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML fragment being written.
#[derive(Debug, Default, Clone)]
pub struct Xml(String);

impl Xml {
    /// An empty fragment.
    pub fn new() -> Xml {
        Xml(String::new())
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Xml {
        self.0.push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// Escaped text.
    pub fn text(&mut self, t: &str) -> &mut Xml {
        self.0.push_str(&escape(t));
        self
    }

    /// `<name>text</name>` when `text` is some.
    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Xml {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    /// `<name>…</name>` around what `inner` writes.
    pub fn node(&mut self, name: &str, inner: impl FnOnce(&mut Xml)) -> &mut Xml {
        self.0.push_str(&format!("<{name}>"));
        inner(self);
        self.0.push_str(&format!("</{name}>"));
        self
    }

    /// Appends a fragment written elsewhere.
    pub fn append(&mut self, other: &Xml) -> &mut Xml {
        self.0.push_str(&other.0);
        self
    }

    /// `<name><member>…</member>…</name>`, one member per item.
    pub fn members<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Xml, T),
    ) -> &mut Xml {
        self.node(name, |x| {
            for it in items {
                x.node("member", |m| each(m, it));
            }
        })
    }

    /// The text written so far.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The whole response of a successful `action`.
pub fn response(service: Service, action: &str, result: &Xml, request_id: &str) -> String {
    let body = if result.0.is_empty() {
        String::new()
    } else {
        format!("<{action}Result>{}</{action}Result>", result.0)
    };
    format!(
        "<{action}Response xmlns=\"{}\">{body}<ResponseMetadata><RequestId>{}</RequestId>\
         </ResponseMetadata></{action}Response>\n",
        service.namespace(),
        escape(request_id)
    )
}

/// The whole response of a failed request.
pub fn error(service: Service, e: &IamError, request_id: &str) -> String {
    let kind = if e.status >= 500 { "Receiver" } else { "Sender" };
    format!(
        "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}\
         </Message></Error><RequestId>{}</RequestId></ErrorResponse>\n",
        service.namespace(),
        escape(&e.code),
        escape(&e.message),
        escape(request_id)
    )
}
