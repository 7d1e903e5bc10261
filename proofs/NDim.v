(** * N dimensions: the flipped-kernel equivalence for every number of axes

    The parameters of a transposed convolution are a list [ps] of axes, one
    record per spatial axis ([len] = L, [ker] = K, [stride] = s, [dil] = d,
    [padb] = p_before, [pada] = p_after, [opad] = op), so [N = size ps] is
    arbitrary.  A position is a list of [N] naturals, a signal a function
    [seq nat -> R]; [box [:: n_1; …; n_N]] lists the multi-indices of
    [[0, n_1) × … × [0, n_N)] in C (row-major) order, and every N-d sum is a
    [\sum_(i <- box …)] over that product.

    - [conv_transposeN ps x w j
        = Σ_(i ∈ box L) Σ_(k ∈ box K) x[i] w[k] [j_a = i_a s_a + k_a d_a − pb_a on every axis a]];
    - [upsampleN L s x t = Σ_(i ∈ box L) x[i] [t = (i_a s_a)_a]];
    - [padN n P_l u t = u[t − P_l]] when [0 ≤ t_a − P_l,a < n_a] on every axis, else 0;
    - [convN K s d v w o = Σ_(k ∈ box K) w[k] v[(o_a s_a + k_a d_a)_a]]
      (PyTorch's unpadded convolution), used with stride 1 on every axis;
    - [flipi K k = (K_a − 1 − k_a)_a], the kernel flipped on every axis. *)

From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import zify ring.
From TConv Require Import Conv1d.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory Num.Theory.
Local Open Scope ring_scope.
Unset Lia Cache.
Unset Nia Cache.

(** ** Parameters and multi-indices *)

Record axis := Axis {
  len : nat; ker : nat; stride : nat; dil : nat;
  padb : nat; pada : nat; opad : nat }.

(** The 1-D shape arithmetic of [Conv1d], per axis. *)
Definition a_out_len a := out_len (len a) (ker a) (stride a) (dil a) (padb a) (pada a) (opad a).
Definition a_up_len a := up_len (len a) (stride a).
Definition a_P_l a := P_l (ker a) (dil a) (padb a).
Definition a_P_r a := P_r (ker a) (dil a) (pada a) (opad a).
Definition a_pad_len a := pad_len (a_up_len a) (a_P_l a) (a_P_r a).

(** The multi-indices of a box, in C order. *)
Fixpoint box (ns : seq nat) : seq (seq nat) :=
  if ns is n :: ns' then [seq i :: t | i <- iota 0 n, t <- box ns'] else [:: [::]].

(** [(i_a · s_a)_a] *)
Fixpoint scale (ss i : seq nat) : seq nat :=
  match ss, i with
  | s :: ss', i0 :: i' => (i0 * s)%N :: scale ss' i'
  | _, _ => [::]
  end.

(** [(o_a · s_a + k_a · d_a)_a], the position tap [k] of output [o] reads. *)
Fixpoint taps (ss ds o k : seq nat) : seq nat :=
  match ss, ds, o, k with
  | s :: ss', d :: ds', o0 :: o', k0 :: k' => (o0 * s + k0 * d)%N :: taps ss' ds' o' k'
  | _, _, _, _ => [::]
  end.

(** [(K_a − 1 − k_a)_a] *)
Fixpoint flipi (Ks k : seq nat) : seq nat :=
  match Ks, k with
  | K :: Ks', k0 :: k' => (K.-1 - k0)%N :: flipi Ks' k'
  | _, _ => [::]
  end.

(** [0 ≤ t_a − P_l,a < n_a] on every axis. *)
Fixpoint inside (ns Pls : seq int) (t : seq nat) : bool :=
  match ns, Pls, t with
  | n :: ns', Pl :: Pls', t0 :: t' =>
      (0 <= t0%:Z - Pl) && (t0%:Z - Pl < n) && inside ns' Pls' t'
  | [::], [::], [::] => true
  | _, _, _ => false
  end.

(** [(t_a − P_l,a)_a], read as naturals (used where [inside] holds). *)
Fixpoint shift (Pls : seq int) (t : seq nat) : seq nat :=
  match Pls, t with
  | Pl :: Pls', t0 :: t' => absz (t0%:Z - Pl) :: shift Pls' t'
  | _, _ => [::]
  end.

(** The index relation [hit] of [Conv1d] on every axis. *)
Fixpoint hits (ps : seq axis) (j i k : seq nat) : bool :=
  match ps, j, i, k with
  | a :: ps', j0 :: j', i0 :: i', k0 :: k' =>
      hit (stride a) (dil a) (padb a) j0 i0 k0 && hits ps' j' i' k'
  | [::], [::], [::], [::] => true
  | _, _, _, _ => false
  end.

Section Defs.
Variable R : comRingType.
Implicit Types (x w u v : seq nat -> R).

(** PyTorch's N-d transposed convolution, scatter form, one channel. *)
Definition conv_transposeN (ps : seq axis) x w (j : seq nat) : R :=
  \sum_(i <- box (map len ps)) \sum_(k <- box (map ker ps)) x i * w k *+ hits ps j i k.

(** Zero insertion on every axis. *)
Definition upsampleN (Ls ss : seq nat) x (t : seq nat) : R :=
  \sum_(i <- box Ls) x i *+ (t == scale ss i).

(** Pad (negative: crop) by [Pls] on the left of a signal of size [ns]. *)
Definition padN (ns Pls : seq int) u (t : seq nat) : R :=
  if inside ns Pls t then u (shift Pls t) else 0.

(** PyTorch's N-d convolution (cross-correlation), no padding. *)
Definition convN (Ks ss ds : seq nat) v w (o : seq nat) : R :=
  \sum_(k <- box Ks) w k * v (taps ss ds o k).

(** The kernel flipped on every axis. *)
Definition flipN (Ks : seq nat) w (k : seq nat) : R := w (flipi Ks k).

(** The right-hand side: upsample, pad by [P_l] (crop if negative), then the
    stride-1 convolution with dilation [d] and the flipped kernel. *)
Definition flippedN (ps : seq axis) x w : seq nat -> R :=
  convN (map ker ps) (nseq (size ps) 1%N) (map dil ps)
    (padN (map a_up_len ps) (map a_P_l ps) (upsampleN (map len ps) (map stride ps) x))
    (flipN (map ker ps) w).

End Defs.

(** ** The theorem

    For every number of axes [N = size ps], every commutative ring and every
    parameter value: at every position [j] with [N] coordinates the two sides
    agree; on every axis the stride-1 convolution of the padded signal has
    [out_len] outputs; and at every output position ([0 ≤ j_a < out_len_a])
    every tap reads inside the padded signal ([0 ≤ j_a + k_a d_a < pad_len_a]). *)
Definition flipped_kernel_equivalence_Nd : Prop :=
  forall (R : comRingType) (ps : seq axis) (x w : seq nat -> R),
  [/\ forall j : seq nat, size j = size ps -> conv_transposeN ps x w j = flippedN ps x w j,
      [seq conv1_len (a_pad_len a) (ker a) (dil a) | a <- ps] = [seq a_out_len a | a <- ps]
    & forall j k : seq nat,
        all2 (fun j0 a => j0%:Z < a_out_len a) j ps -> k \in box (map ker ps) ->
        all2 (fun t a => t%:Z < a_pad_len a) (taps (nseq (size ps) 1%N) (map dil ps) j k) ps].

(** ** Lemmas *)

Lemma mem_box (ns i : seq nat) :
  (i \in box ns) = all2 (fun i0 n => (i0 < n)%N) i ns.
Proof.
elim: ns i => [|n ns IH] [|i0 i] /=; try by rewrite mem_seq1.
  by apply/allpairsPdep => -[? [? [_ _ //]]].
apply/allpairsPdep/andP => [[a [b [ha hb [-> ->]]]] | [h1 h2]].
  by rewrite mem_iota add0n in ha; rewrite -IH.
by exists i0, i; split => //; rewrite ?mem_iota ?add0n ?IH.
Qed.

Lemma all2_size (T S : Type) (r : T -> S -> bool) s t : all2 r s t -> size s = size t.
Proof. by elim: s t => [|x s IH] [|y t] //= /andP[_ /IH ->]. Qed.

Section Proofs.
Variable R : comRingType.
Implicit Types (x w : seq nat -> R).

Lemma big_box_cons n ns (F : seq nat -> R) :
  \sum_(i <- box (n :: ns)) F i = \sum_(i0 < n) \sum_(t <- box ns) F ((i0 : nat) :: t).
Proof.
rewrite /= big_allpairs_dep.
have -> : iota 0 n = index_iota 0 n by rewrite /index_iota subn0.
by rewrite big_mkord.
Qed.

(** Flipping every axis is a bijection of the kernel's box. *)
Lemma sum_box_flip Ks (F : seq nat -> seq nat -> R) :
  \sum_(k <- box Ks) F k (flipi Ks k) = \sum_(k <- box Ks) F (flipi Ks k) k.
Proof.
elim: Ks F => [|K Ks IH] F; first by rewrite /= !big_seq1.
rewrite !big_box_cons (reindex_inj rev_ord_inj) /=; apply: eq_bigr => k0 _.
have kK := ltn_ord k0.
have -> : (K.-1 - (K - k0.+1) = k0)%N by lia.
have -> : (K - k0.+1 = K.-1 - k0)%N by lia.
exact: (IH (fun a b => F ((K.-1 - k0)%N :: a) ((k0 : nat) :: b))).
Qed.

(** The zero-inserted input, padded, read at [t]: the inputs [i] with
    [t − P_l = (i_a s_a)_a], provided [t − P_l] is inside on every axis. *)
Lemma padN_upsampleN (ns Pls : seq int) Ls ss x (t : seq nat) :
  padN ns Pls (upsampleN Ls ss x) t
  = \sum_(i <- box Ls) x i *+ (inside ns Pls t && (shift Pls t == scale ss i)).
Proof.
rewrite /padN /upsampleN; case: inside => //=.
by rewrite big1 // => i _; rewrite mulr0n.
Qed.

(** One axis of the index relation after the flip [κ = K − 1 − k]: the read
    [r = j + κ·d − P_l] is inside [[0, (L − 1)s + 1)] and equal to [i·s]
    exactly when [j = i·s + k·d − pb]. *)
Lemma hit_inside (L K s d pb j i k : nat) : (i < L)%N -> (k < K)%N ->
  (0 <= (j * 1 + (K.-1 - k) * d)%N%:Z - P_l K d pb)
  && ((j * 1 + (K.-1 - k) * d)%N%:Z - P_l K d pb < up_len L s)
  && (absz ((j * 1 + (K.-1 - k) * d)%N%:Z - P_l K d pb) == i * s)%N
  = hit s d pb j i k.
Proof.
move=> iL kK; rewrite /hit /P_l /up_len.
apply/idP/idP => [/andP[/andP[h0 h1] /eqP h2] | /eqP h].
  by apply/eqP; nia.
by apply/andP; split; [apply/andP; split | apply/eqP]; nia.
Qed.

Lemma hits_flipped ps (j i k : seq nat) :
  size j = size ps -> i \in box (map len ps) -> k \in box (map ker ps) ->
  inside (map a_up_len ps) (map a_P_l ps)
    (taps (nseq (size ps) 1%N) (map dil ps) j (flipi (map ker ps) k))
  && (shift (map a_P_l ps) (taps (nseq (size ps) 1%N) (map dil ps) j (flipi (map ker ps) k))
      == scale (map stride ps) i)
  = hits ps j i k.
Proof.
rewrite !mem_box.
elim: ps j i k => [|a ps IH] [|j0 j] [|i0 i] [|k0 k] //= [sj] /andP[iL si] /andP[kK sk].
by rewrite eqseq_cons andbACA (IH j i k sj si sk) (hit_inside _ _ _ _ iL kK).
Qed.

Lemma conv_transposeN_flipped_value ps x w (j : seq nat) : size j = size ps ->
  conv_transposeN ps x w j = flippedN ps x w j.
Proof.
move=> sj; rewrite /flippedN /convN /flipN.
rewrite (sum_box_flip _ (fun a b => w b * padN (map a_up_len ps) (map a_P_l ps)
  (upsampleN (map len ps) (map stride ps) x) (taps (nseq (size ps) 1%N) (map dil ps) j a))).
rewrite /conv_transposeN exchange_big /=; apply: eq_big_seq => k kK.
rewrite padN_upsampleN mulr_sumr; apply: eq_big_seq => i iL.
by rewrite (hits_flipped sj iL kK) mulrnAr mulrC.
Qed.

Lemma conv_transposeN_flipped_length ps :
  [seq conv1_len (a_pad_len a) (ker a) (dil a) | a <- ps] = [seq a_out_len a | a <- ps].
Proof. by apply: eq_map => a; apply: conv_transpose1d_flipped_length. Qed.

Lemma conv_transposeN_flipped_reads ps (j k : seq nat) :
  all2 (fun j0 a => j0%:Z < a_out_len a) j ps -> k \in box (map ker ps) ->
  all2 (fun t a => t%:Z < a_pad_len a) (taps (nseq (size ps) 1%N) (map dil ps) j k) ps.
Proof.
rewrite mem_box.
elim: ps j k => [|a ps IH] [|j0 j] [|k0 k] //= /andP[h1 h2] /andP[h3 h4].
rewrite IH // andbT.
by case/andP: (conv_transpose1d_flipped_reads h1 h3).
Qed.

(** With one axis, the N-d definitions are the 1-D ones of [Conv1d]. *)
Lemma conv_transposeN_1d a x w (j : nat) :
  conv_transposeN [:: a] x w [:: j]
  = conv_transpose1d (fun i => x [:: i]) (fun k => w [:: k])
      (len a) (ker a) (stride a) (dil a) (padb a) j.
Proof.
rewrite /conv_transposeN /conv_transpose1d big_box_cons; apply: eq_bigr => i _.
rewrite big_seq1 big_box_cons; apply: eq_bigr => k _.
by rewrite big_seq1 /= andbT.
Qed.

Lemma flippedN_1d a x w (j : nat) :
  flippedN [:: a] x w [:: j]
  = conv1d (pad (upsample (fun i => x [:: i]) (len a) (stride a)) (a_up_len a) (a_P_l a))
      (flip (fun k => w [:: k]) (ker a)) (ker a) 1 (dil a) j.
Proof.
rewrite /flippedN /convN /conv1d big_box_cons; apply: eq_bigr => k _.
rewrite big_seq1 /flipN /flip /padN /pad /= andbT; case: ifP => // _.
congr (_ * _); rewrite /upsampleN /upsample big_box_cons; apply: eq_bigr => i _.
by rewrite big_seq1 /= eqseq_cons andbT.
Qed.

End Proofs.

Theorem conv_transposeN_flipped : flipped_kernel_equivalence_Nd.
Proof.
move=> R ps x w; split.
- exact: conv_transposeN_flipped_value.
- exact: conv_transposeN_flipped_length.
- exact: conv_transposeN_flipped_reads.
Qed.

Print Assumptions conv_transposeN_flipped.
