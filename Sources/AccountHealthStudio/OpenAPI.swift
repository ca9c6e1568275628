/// The API's OpenAPI 3.1 description (`GET /api/openapi.json`).
enum OpenAPI {
    static func get(_ summary: String, _ params: [(String, String, String)] = [], pathParam: String? = nil) -> String {
        var ps = params.map { name, type, doc in
            #"{"name": "\#(name)", "in": "query", "required": false, "schema": {"type": "\#(type)"}, "description": "\#(doc)"}"#
        }
        if let pathParam { ps.insert(#"{"name": "\#(pathParam)", "in": "path", "required": true, "schema": {"type": "string"}}"#, at: 0) }
        return ##"{"get": {"summary": "\##(summary)", "parameters": [\##(ps.joined(separator: ", "))], "responses": {"200": {"description": "The CLI's JSON", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}}"##
    }

    static let document: String = {
        let date = ("as_of", "string", "YYYY-MM-DD (default: the last timeline date)")
        let paths = [
            ("/api/v1/summary", get("Accounts, dates, factors and accounts per band", [date])),
            ("/api/v1/scores", get("Score rows (the JSON rows of `score`) with am, segment and arr; filtered, sorted, paged",
                                   [date, ("band", "string", "a band name"), ("am", "string", "an account manager"), ("segment", "string", "a segment"),
                                    ("search", "string", "part of an account id or name"),
                                    ("sort", "string", "account_id, score, change, arr, band, am or segment; - in front for descending"),
                                    ("limit", "integer", "rows per page (default 100)"), ("offset", "integer", "rows to skip")])),
            ("/api/v1/accounts/{id}", get("One account: its scores with points per factor, raw rows, outcomes and the waterfall (explain's JSON)",
                                          [("from", "string", "YYYY-MM-DD"), ("to", "string", "YYYY-MM-DD")], pathParam: "id")),
            ("/api/v1/config", get("The saved configuration as JSON (the YAML schema)")),
            ("/api/v1/fit", get("fit's JSON", [("horizon", "integer", "days before the decision (default 90)")])),
            ("/api/v1/compare", get("compare's JSON", [("by", "string", "am, segment or any accounts column (default am)")])),
            ("/api/v1/rank", get("rank's JSON", [date, ("top", "integer", "the first N accounts")])),
            ("/api/v1/indicators", get("indicators' JSON")),
            ("/api/v1/survival", get("survival's JSON")),
        ].map { #""\#($0.0)": \#($0.1)"# }
        func post(_ summary: String, _ params: [(String, String)], answer: String) -> String {
            let ps = params.map { #"{"name": "\#($0.0)", "in": "query", "required": false, "schema": {"type": "integer"}, "description": "\#($0.1)"}"# }
            return ##"{"post": {"summary": "\##(summary)", "parameters": [\##(ps.joined(separator: ", "))], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "description": "A configuration with the keys of config.yaml (factors, bands, risk_penalty, …); horizon and step may be given here too"}}}}, "responses": {"200": {"description": "\##(answer)", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}}}"##
        }
        let days = [("horizon", "days after a cutoff in which a decision counts (default 90)"), ("step", "days between cutoffs, 7 or more (default 30)")]
        let preview = [
            #""/api/v1/preview": "# + post("backtest --against: the saved configuration against the one in the body", days, answer: "backtest's JSON"),
            #""/api/v1/backtest": "# + post("backtest --config: the body's configuration alone", days, answer: "backtest's JSON"),
            #""/api/v1/preview/moves": "# + post("The accounts that change band on the last date under the body's configuration, largest score changes first",
                                                days + [("limit", "accounts listed (default 50)")],
                                                answer: "{date, total, accounts: [{account_id, am, segment, arr, from_band, to_band, from_score, to_score}]}"),
        ]
        return """
            {
              "openapi": "3.1.0",
              "info": {"title": "AccountHealth studio", "version": "1.0.0", "description": "The studio's API (DESIGN §11): JSON with the CLI's keys. With a token, send Authorization: Bearer <token>."},
              "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}, "required": ["error", "status"]}}}}}
              },
              "security": [{"bearer": []}, {}],
              "paths": {
                \((paths + preview).joined(separator: ",\n    "))
              }
            }

            """
    }()
}
