/**
 * The HTTP/1.1 front end on Netty: the listener and its protections ({@link io.fairlane.gateway.http.HttpServer}),
 * one {@link io.fairlane.gateway.http.Exchange} per request, routing, decorators
 * ({@link io.fairlane.gateway.http.HttpHandler}) and the single error mapper
 * ({@link io.fairlane.gateway.http.ErrorMapper}) that gives every failure OpenAI's error shape.
 * Everything here runs on event loops and never blocks.
 */
package io.fairlane.gateway.http;
